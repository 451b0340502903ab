import type { Command } from 'commander';
import { parseDuration } from '../platform/index.js';
import { print, vaultClientFromEnv } from './vault.js';

/**
 * `authctl leases …`: the runbook's "Secret Rotation Failure" steps. Lease ids are what the
 * services log (`vault: database credentials issued`, field `leaseId`). Revoking the
 * token-service's database lease is safe: it requests new credentials within seconds.
 */
export function register(program: Command): void {
  const leases = program.command('leases').description('look up, renew and revoke Vault leases (runbook: Secret Rotation Failure)');

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
    .description('revoke a lease (or every lease under a prefix with --prefix); our services request new credentials')
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
