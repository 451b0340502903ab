import type { Command } from 'commander';
import { AdminApi, globalOptions, output, table } from './connection.js';

interface AuditEntry {
  seq: number;
  at: string;
  event: string;
  outcome: string;
  actor: string | null;
  clientId: string | null;
  subject: string | null;
  ip: string | null;
  details: Record<string, unknown>;
}

/** `authctl audit`: review the audit log and verify its hash chain. */
export function register(program: Command): void {
  const audit = program.command('audit').description('the append-only, hash-chained audit log');

  audit
    .command('list')
    .option('--after <seq>', 'entries after this sequence number', '0')
    .option('--limit <n>', 'at most this many entries', '100')
    .option('--event <name>', 'only this event (e.g. client_auth_failed, refresh_token_reuse, revoke_all)')
    .action(async (options: { after: string; limit: string; event?: string }, command: Command) => {
      const globals = globalOptions(command);
      const query = new URLSearchParams({ after: options.after, limit: options.limit, ...(options.event ? { event: options.event } : {}) });
      const result = await (await AdminApi.from(globals)).call<{ entries: AuditEntry[] }>('GET', `/admin/audit?${query}`);
      output(globals, result, () =>
        table(result.entries.map((e) => ({ ...e, details: JSON.stringify(e.details) })) as unknown as Array<Record<string, unknown>>, ['seq', 'at', 'event', 'outcome', 'actor', 'clientId', 'subject', 'ip', 'details']),
      );
    });

  audit.command('verify').description('recompute the hash chain; exits 1 at the first altered, missing or reordered entry').action(async (_o: unknown, command: Command) => {
    const globals = globalOptions(command);
    const result = await (await AdminApi.from(globals)).call<{ ok: boolean; entries: number; brokenAt?: number; reason?: string }>('GET', '/admin/audit/verify');
    output(globals, result, () => (result.ok ? `audit log intact: ${result.entries} entries` : `AUDIT LOG BROKEN at entry ${result.brokenAt}: ${result.reason} (${result.entries} entries verified before it)`));
    if (!result.ok) process.exitCode = 1;
  });
}
