import type { StandinState } from './state.js';
import { randomId } from './state.js';
import { envelope, errors, type Route } from './types.js';

function versionMetadata(version: number, createdAt: number): Record<string, unknown> {
  return { created_time: new Date(createdAt).toISOString(), custom_metadata: null, deletion_time: '', destroyed: false, version };
}

/** KV v2 mounted at `secret/` and the database secrets engine at `database/`, as in a default setup. */
export function secretsRoutes(state: StandinState): Route[] {
  return [
    {
      // https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#read-secret-version
      // Latest version, or `?version=N`; 404 with an empty errors list when there is none.
      methods: ['GET'], pattern: /^secret\/data\/(.+)$/,
      handle(ctx, match) {
        const denied = state.deny(ctx, 'read');
        if (denied) return denied;
        const versions = state.kv.get(decodeURIComponent(match[1] ?? ''));
        if (versions === undefined || versions.length === 0) return errors(404);
        const asked = ctx.query.get('version');
        const number = asked === null || asked === '0' ? versions.length : Number(asked);
        const version = versions[number - 1];
        if (version === undefined) return errors(404);
        return envelope({ data: { data: version.data, metadata: versionMetadata(number, version.createdAt) } });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/secret/kv/kv-v2#create-update-secret
      // Each write is a new version; `options.cas` must match the current version when given.
      methods: ['POST', 'PUT'], pattern: /^secret\/data\/(.+)$/,
      handle(ctx, match) {
        const path = decodeURIComponent(match[1] ?? '');
        // A first write needs `create`, a later one `update` (docs/concepts/policies#capabilities).
        const denied = state.deny(ctx, state.kv.has(path) ? 'update' : 'create');
        if (denied) return denied;
        const data = ctx.body.data;
        if (typeof data !== 'object' || data === null || Array.isArray(data)) return errors(400, 'no data provided');
        const versions = state.kv.get(path) ?? [];
        const cas = (ctx.body.options as { cas?: unknown } | undefined)?.cas;
        if (typeof cas === 'number' && cas !== versions.length) return errors(400, 'check-and-set parameter did not match the current version');
        versions.push({ data: data as Record<string, unknown>, createdAt: Date.now() });
        state.kv.set(path, versions);
        return envelope({ data: versionMetadata(versions.length, Date.now()) });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/secret/databases#generate-credentials
      // Creates a real PostgreSQL role from the role's creation statements, under a lease with
      // the role's default TTL and max TTL; the lease id is `database/creds/<role>/<id>`.
      methods: ['GET'], pattern: /^database\/creds\/([^/]+)$/,
      async handle(ctx, match) {
        const denied = state.deny(ctx, 'read');
        if (denied) return denied;
        const roleName = decodeURIComponent(match[1] ?? '');
        const role = state.databaseRoles[roleName];
        if (role === undefined || state.roles === undefined) return errors(400, `unknown role: ${roleName}`);
        const display = (state.liveToken(ctx.token)?.displayName ?? 'token').replace(/[^a-z0-9]/gi, '').slice(0, 8);
        const username = `v-${display}-${roleName.slice(0, 8)}-${randomId(9).replace(/[^a-z0-9]/gi, 'x')}-${Math.floor(Date.now() / 1000)}`.slice(0, 63);
        const password = `A1a-${randomId(15)}`;
        const now = Date.now();
        const lease = {
          id: `database/creds/${roleName}/${randomId(18)}`, role: roleName, username,
          issuedAt: now, expiresAt: now + role.defaultTtlS * 1000, maxExpiresAt: now + role.maxTtlS * 1000,
          lastRenewal: null, timer: setTimeout(() => undefined, 0),
        };
        await state.roles.create(role.creationStatements, username, password, new Date(lease.expiresAt));
        state.leases.set(lease.id, lease);
        state.armExpiry(lease);
        return envelope({ lease_id: lease.id, renewable: true, lease_duration: role.defaultTtlS, data: { username, password } });
      },
    },
  ];
}
