import { envelope, errors, type Ctx, type Route } from './types.js';
import { SHARES, THRESHOLD, type StandinState } from './state.js';

const VERSION = '1.17.0+standin';

function sealStatus(state: StandinState): Record<string, unknown> {
  return {
    type: 'shamir',
    initialized: state.healthMode !== 'uninitialized',
    sealed: state.sealed,
    t: THRESHOLD,
    n: SHARES,
    progress: state.sealed ? state.unsealProgress.size : 0,
    nonce: '',
    version: VERSION,
    build_date: '2024-06-10T00:00:00Z',
    migration: false,
    recovery_seal: false,
    storage_type: 'inmem',
    ...(state.sealed ? {} : { cluster_name: 'vault-cluster-standin', cluster_id: '00000000-0000-4000-8000-000000000000' }),
  };
}

function healthCode(ctx: Ctx, name: string, fallback: number): number {
  const value = ctx.query.get(name);
  return value === null || !/^\d+$/.test(value) ? fallback : Number(value);
}

function leaseIdFrom(ctx: Ctx, match: RegExpExecArray): string | undefined {
  const fromUrl = match[1];
  if (fromUrl !== undefined && fromUrl !== '') return decodeURIComponent(fromUrl);
  return typeof ctx.body.lease_id === 'string' ? ctx.body.lease_id : undefined;
}

export function sysRoutes(state: StandinState): Route[] {
  return [
    {
      // https://developer.hashicorp.com/vault/api-docs/system/health
      // Default codes: 200 active, 429 standby, 472 DR secondary, 473 performance standby,
      // 501 not initialised, 503 sealed; each can be overridden by a query parameter.
      methods: ['GET', 'HEAD'], pattern: /^sys\/health$/, whileSealed: true,
      handle(ctx) {
        const body = {
          initialized: state.healthMode !== 'uninitialized',
          sealed: state.sealed,
          standby: state.healthMode === 'standby' || state.healthMode === 'perfstandby',
          performance_standby: state.healthMode === 'perfstandby',
          replication_performance_mode: 'disabled',
          replication_dr_mode: state.healthMode === 'drsecondary' ? 'secondary' : 'disabled',
          server_time_utc: Math.floor(Date.now() / 1000),
          version: VERSION,
          cluster_name: 'vault-cluster-standin',
          cluster_id: '00000000-0000-4000-8000-000000000000',
        };
        const standbyOk = ctx.query.get('standbyok') === 'true';
        const perfStandbyOk = ctx.query.get('perfstandbyok') === 'true';
        const active = healthCode(ctx, 'activecode', 200);
        let status: number;
        if (state.healthMode === 'uninitialized') status = healthCode(ctx, 'uninitcode', 501);
        else if (state.sealed) status = healthCode(ctx, 'sealedcode', 503);
        else if (state.healthMode === 'drsecondary') status = healthCode(ctx, 'drsecondarycode', 472);
        else if (state.healthMode === 'perfstandby') status = perfStandbyOk ? active : healthCode(ctx, 'performancestandbycode', 473);
        else if (state.healthMode === 'standby') status = standbyOk ? active : healthCode(ctx, 'standbycode', 429);
        else status = active;
        return { status, body };
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/seal-status
      methods: ['GET'], pattern: /^sys\/seal-status$/, whileSealed: true,
      handle: () => ({ status: 200, body: sealStatus(state) }),
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/unseal
      // One key share per call; unsealed once THRESHOLD distinct shares are in. Shares cannot be
      // checked one by one (Shamir), so a wrong one shows only at the threshold: progress resets.
      methods: ['PUT', 'POST'], pattern: /^sys\/unseal$/, whileSealed: true,
      handle(ctx) {
        if (ctx.body.reset === true) {
          state.unsealProgress.clear();
          return { status: 200, body: sealStatus(state) };
        }
        const key = ctx.body.key;
        if (typeof key !== 'string' || key === '') return errors(400, "'key' must be specified in request body as JSON, or 'reset' set to true");
        if (!state.sealed) return { status: 200, body: sealStatus(state) };
        state.unsealProgress.add(key);
        if (state.unsealProgress.size >= THRESHOLD) {
          const allValid = [...state.unsealProgress].every((k) => state.unsealKeys.includes(k));
          state.unsealProgress.clear();
          if (!allValid) return errors(400, 'failed to decrypt keyring: cipher: message authentication failed');
          state.sealed = false;
        }
        return { status: 200, body: sealStatus(state) };
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/seal — needs a sudo (root) token; 204.
      methods: ['PUT', 'POST'], pattern: /^sys\/seal$/,
      handle(ctx) {
        const denied = state.deny(ctx, 'update', { sudo: true });
        if (denied) return denied;
        state.sealed = true;
        state.unsealProgress.clear();
        return { status: 204 };
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/leases#read-lease
      methods: ['PUT', 'POST'], pattern: /^sys\/leases\/lookup$/,
      handle(ctx, match) {
        const denied = state.deny(ctx, 'update');
        if (denied) return denied;
        const id = leaseIdFrom(ctx, match);
        if (id === undefined) return errors(400, 'missing lease id');
        const lease = state.leases.get(id);
        if (lease === undefined) return errors(400, 'invalid lease');
        return envelope({
          data: {
            id: lease.id,
            issue_time: new Date(lease.issuedAt).toISOString(),
            expire_time: new Date(lease.expiresAt).toISOString(),
            last_renewal: lease.lastRenewal === null ? null : new Date(lease.lastRenewal).toISOString(),
            renewable: true,
            ttl: Math.max(0, Math.round((lease.expiresAt - Date.now()) / 1000)),
          },
        });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/leases#renew-lease
      // The new TTL is the increment (or the role's default), capped by the max TTL with a warning.
      methods: ['PUT', 'POST'], pattern: /^sys\/leases\/renew(?:\/(.+))?$/,
      async handle(ctx, match) {
        const denied = state.deny(ctx, 'update');
        if (denied) return denied;
        const id = leaseIdFrom(ctx, match);
        if (id === undefined) return errors(400, 'lease_id must be specified');
        const lease = state.leases.get(id);
        if (lease === undefined) return errors(400, 'lease not found');
        const fault = state.renewalFault;
        if (fault !== undefined && fault.remaining !== 0) {
          fault.remaining -= 1;
          return errors(fault.status, '1 error occurred:\n\t* failed to renew lease: injected by the stand-in\n\n');
        }
        const role = state.databaseRoles[lease.role];
        const askedS = typeof ctx.body.increment === 'number' ? ctx.body.increment : Number.parseInt(String(ctx.body.increment ?? ''), 10) || (role?.defaultTtlS ?? 60);
        const now = Date.now();
        const cappedS = Math.max(0, Math.floor((lease.maxExpiresAt - now) / 1000));
        const grantedS = Math.min(askedS, cappedS);
        lease.expiresAt = now + grantedS * 1000;
        lease.lastRenewal = now;
        state.armExpiry(lease);
        await state.roles?.extend(lease.username, new Date(lease.expiresAt));
        const warnings = grantedS < askedS ? [`TTL of "${askedS}s" exceeded the effective max_ttl of "${grantedS}s"; TTL value is capped accordingly`] : null;
        return envelope({ lease_id: lease.id, renewable: true, lease_duration: grantedS, warnings });
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/leases#revoke-lease — 204, also for an unknown lease.
      methods: ['PUT', 'POST'], pattern: /^sys\/leases\/revoke(?:\/(.+))?$/,
      async handle(ctx, match) {
        const denied = state.deny(ctx, 'update');
        if (denied) return denied;
        const id = leaseIdFrom(ctx, match);
        if (id === undefined) return errors(400, 'lease_id must be specified');
        await state.revokeLease(id);
        return { status: 204 };
      },
    },
    {
      // https://developer.hashicorp.com/vault/api-docs/system/leases#revoke-prefix — sudo; 204.
      methods: ['PUT', 'POST'], pattern: /^sys\/leases\/revoke-prefix\/(.+)$/,
      async handle(ctx, match) {
        const denied = state.deny(ctx, 'update', { sudo: true });
        if (denied) return denied;
        const prefix = decodeURIComponent(match[1] ?? '');
        for (const id of [...state.leases.keys()].filter((k) => k.startsWith(prefix))) await state.revokeLease(id);
        return { status: 204 };
      },
    },
  ];
}
