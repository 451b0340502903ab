import { randomUUID } from 'node:crypto';
import type { StandinState } from './state.js';
import { envelope, errors, type Reply, type Route } from './types.js';

export interface StandinAuthOptions {
  approle?: { roleId: string; secretId: string; policies?: string[] };
  kubernetes?: { role: string; jwt: string; policies?: string[] };
  /** TTL and max TTL of tokens issued by logins. */
  tokenTtlS: number;
  tokenMaxTtlS: number;
}

function loginReply(state: StandinState, options: StandinAuthOptions, policies: string[], displayName: string, metadata: Record<string, string>): Reply {
  const token = state.issueToken({ policies, displayName, ttlS: options.tokenTtlS, maxTtlS: options.tokenMaxTtlS });
  return envelope({
    auth: {
      client_token: token,
      accessor: randomUUID(),
      policies: ['default', ...policies],
      token_policies: ['default', ...policies],
      metadata,
      lease_duration: options.tokenTtlS,
      renewable: true,
      entity_id: randomUUID(),
      token_type: 'service',
      orphan: true,
    },
  });
}

export function authRoutes(state: StandinState, options: StandinAuthOptions): Route[] {
  return [
    {
      // https://developer.hashicorp.com/vault/api-docs/auth/approle#login-with-approle
      methods: ['POST', 'PUT'], pattern: /^auth\/approle\/login$/,
      handle(ctx) {
        const role = options.approle;
        if (role === undefined) return errors(404, 'no handler for route "auth/approle/login". route entry not found.');
        if (typeof ctx.body.role_id !== 'string' || ctx.body.role_id === '') return errors(400, 'missing role_id');
        if (ctx.body.role_id !== role.roleId || ctx.body.secret_id !== role.secretId) return errors(400, 'invalid role or secret ID');
        return loginReply(state, options, role.policies ?? ['auth-platform'], 'approle', { role_name: 'auth-platform' });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/auth/kubernetes#login
      methods: ['POST', 'PUT'], pattern: /^auth\/kubernetes\/login$/,
      handle(ctx) {
        const k8s = options.kubernetes;
        if (k8s === undefined) return errors(404, 'no handler for route "auth/kubernetes/login". route entry not found.');
        if (typeof ctx.body.role !== 'string' || ctx.body.role === '') return errors(400, 'missing role');
        if (ctx.body.role !== k8s.role) return errors(400, `invalid role name "${ctx.body.role}"`);
        if (ctx.body.jwt !== k8s.jwt) return errors(403, 'permission denied');
        return loginReply(state, options, k8s.policies ?? ['auth-platform'], `kubernetes-${k8s.role}`, {
          role: k8s.role, service_account_name: 'token-service', service_account_namespace: 'auth-platform',
        });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/auth/token#lookup-a-token-self
      methods: ['GET'], pattern: /^auth\/token\/lookup-self$/,
      handle(ctx) {
        const entry = state.liveToken(ctx.token);
        if (entry === undefined) return errors(403, 'permission denied');
        return envelope({
          data: {
            accessor: randomUUID(),
            creation_time: Math.floor(entry.issuedAt / 1000),
            creation_ttl: entry.ttlS,
            display_name: entry.displayName,
            expire_time: entry.expiresAt === 0 ? null : new Date(entry.expiresAt).toISOString(),
            explicit_max_ttl: 0,
            id: ctx.token,
            policies: entry.policies,
            renewable: entry.renewable,
            ttl: entry.expiresAt === 0 ? 0 : Math.max(0, Math.round((entry.expiresAt - Date.now()) / 1000)),
            type: 'service',
          },
        });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/auth/token#renew-a-token-self
      // The TTL granted is the increment (or the original TTL) capped by the token's max TTL.
      methods: ['POST', 'PUT'], pattern: /^auth\/token\/renew-self$/,
      handle(ctx) {
        const entry = state.liveToken(ctx.token);
        if (entry === undefined || ctx.token === undefined) return errors(403, 'permission denied');
        if (!entry.renewable) return errors(400, 'lease is not renewable');
        const asked = Number.parseInt(String(ctx.body.increment ?? entry.ttlS), 10) || entry.ttlS;
        const now = Date.now();
        const granted = Math.max(0, Math.min(asked, Math.floor((entry.maxExpiresAt - now) / 1000)));
        entry.expiresAt = now + granted * 1000;
        return envelope({
          warnings: granted < asked ? [`TTL of "${asked}s" exceeded the effective max_ttl of "${granted}s"; TTL value is capped accordingly`] : null,
          auth: {
            client_token: ctx.token, accessor: randomUUID(), policies: entry.policies, token_policies: entry.policies,
            metadata: null, lease_duration: granted, renewable: true, token_type: 'service',
          },
        });
      },
    },
  ];
}
