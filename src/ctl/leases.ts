import type { Command } from 'commander';
import { parseDuration } from '../platform/index.js';
import type { LeaseView } from '../secrets/index.js';
import { AdminApi, globalOptions, output, platformEndpoints, table, type GlobalOptions, type ServiceEndpoint } from './connection.js';
import { askBoth, readSecretsView, type SecretsView } from './secrets-view.js';
import { print, vaultClientFromEnv } from './vault.js';

/** One service's answer, or the URL it could not be asked at and why. */
type LeasesView = { provider: string; leases: LeaseView[]; note?: string } | { error: string };

const COLUMNS = ['service', 'lease', 'user', 'ttl', 'expires', 'last_renewal'];

/** token-service's own account of its leases (admin API: GET /admin/secrets). */
async function tokenServiceLeases(globals: GlobalOptions): Promise<LeasesView> {
  try {
    const view = await (await AdminApi.from(globals)).call<{ provider: string; leases: LeaseView[] }>('GET', '/admin/secrets');
    return view.provider === 'vault' ? view : { ...view, note: 'does not use Vault (local secrets provider)' };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** The edge takes no database credentials; its /readyz still says whether it is up and on Vault. */
async function edgeLeases(edge: ServiceEndpoint): Promise<LeasesView> {
  const view: SecretsView = await readSecretsView(edge);
  if (!view.reachable) return { error: view.error };
  if (view.provider !== 'vault') return { provider: view.provider, leases: [], note: 'does not use Vault' };
  return { provider: 'vault', leases: [], note: 'holds no lease (the edge takes no database credentials)' };
}

function rows(service: string, view: LeasesView): Array<Record<string, unknown>> {
  if ('error' in view) return [{ service, lease: `unreachable: ${view.error}` }];
  if (view.leases.length === 0) return [{ service, lease: view.note ?? 'holds no lease' }];
  return view.leases.map((lease) => ({
    service, lease: lease.leaseId, user: lease.databaseUser, ttl: `${lease.ttlS}s${lease.renewable ? '' : ' (max TTL: replaced before it ends)'}`,
    expires: lease.expiresAt, last_renewal: lease.lastRenewal ?? 'never',
  }));
}

/**
 * `authctl leases …`: the runbook's "Secret Rotation Failure" steps. `leases list` asks the
 * services which lease they hold; the others act on a lease id in Vault. Revoking the
 * token-service's database lease is safe: PostgreSQL refusing the revoked role makes it request
 * new credentials at once, and no request fails.
 */
export function register(program: Command): void {
  const leases = program.command('leases').description('list our leases; look up, renew and revoke Vault leases (runbook: Secret Rotation Failure)');

  leases
    .command('list')
    .description("the database lease each service holds (id, TTL, last renewal), as it sees it: no log grepping, no Vault token, works while Vault is down")
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const services = await askBoth(tokenServiceLeases(globals), platformEndpoints(globals).then((endpoints) => edgeLeases(endpoints.edge)));
      output(globals, services, () => table(Object.entries(services).flatMap(([service, view]) => rows(service, view)), COLUMNS));
      if (Object.values(services).some((view) => 'error' in view)) process.exitCode = 1;
    });

  leases
    .command('lookup <lease_id>')
    .description('TTL, expiry and last renewal of a lease')
    .action(async (leaseId: string, _options: unknown, command: Command) => {
      const client = vaultClientFromEnv();
      try {
        const info = await client.leaseLookup(leaseId);
        print(command.optsWithGlobals<{ json?: boolean }>().json, info, () => [
          `id            ${info.id}`,
          `issue_time    ${info.issueTime}`,
          `expire_time   ${info.expireTime ?? '-'}`,
          `last_renewal  ${info.lastRenewal ?? '-'}`,
          `renewable     ${info.renewable}`,
          `ttl           ${info.ttlS}s`,
        ].join('\n'));
      } finally {
        await client.close();
      }
    });

  leases
    .command('renew <lease_id>')
    .description('renew a lease; Vault caps the increment at the max TTL')
    .option('--increment <duration>', 'requested TTL from now, e.g. 1h or 30m')
    .action(async (leaseId: string, options: { increment?: string }, command: Command) => {
      const incrementMs = options.increment === undefined ? undefined : parseDuration(options.increment);
      if (options.increment !== undefined && incrementMs === undefined) throw new Error(`--increment must be a duration such as 1h or 30m (got ${JSON.stringify(options.increment)})`);
      const client = vaultClientFromEnv();
      try {
        const renewal = await client.leaseRenew(leaseId, incrementMs === undefined ? undefined : Math.round(incrementMs / 1000));
        print(command.optsWithGlobals<{ json?: boolean }>().json, renewal, () => [
          `lease_id        ${renewal.leaseId}`,
          `lease_duration  ${renewal.leaseDurationS}s`,
          `lease_renewable ${renewal.renewable}`,
          ...renewal.warnings.map((w) => `warning         ${w}`),
        ].join('\n'));
      } finally {
        await client.close();
      }
    });

  leases
    .command('revoke <lease_id>')
    .description('revoke a lease (or every lease under a prefix with --prefix); our services request new credentials at once')
    .option('--prefix', 'treat the id as a prefix (needs a sudo token)')
    .action(async (leaseId: string, options: { prefix?: boolean }) => {
      const client = vaultClientFromEnv();
      try {
        if (options.prefix) await client.leaseRevokePrefix(leaseId);
        else await client.leaseRevoke(leaseId);
        process.stdout.write(`Revoked ${options.prefix ? 'every lease with prefix' : 'lease'}: ${leaseId}\n`);
      } finally {
        await client.close();
      }
    });
}
