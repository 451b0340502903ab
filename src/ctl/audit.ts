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

  audit
    .command('verify')
    .description('recompute the hash chain and check each HMAC; exits 1 at the first altered, missing, reordered or forged entry')
    .option('--head <seq:hash>', 'a head saved earlier (printed after each admin action and by `authctl status`): exits 1 if the log no longer reaches it')
    .action(async (options: { head?: string }, command: Command) => {
      const globals = globalOptions(command);
      const query = options.head === undefined ? '' : `?${new URLSearchParams({ head: options.head })}`;
      const result = await (await AdminApi.from(globals)).call<AuditVerification>('GET', `/admin/audit/verify${query}`);
      output(globals, result, () => describeVerification(result, options.head));
      if (!result.ok) process.exitCode = 1;
    });
}

interface AuditVerification {
  ok: boolean;
  entries: number;
  hmacFromSeq: number;
  head: { head: string } | null;
  brokenAt?: number;
  reason?: string;
}

function describeVerification(result: AuditVerification, savedHead: string | undefined): string {
  if (!result.ok) return `AUDIT LOG BROKEN at entry ${result.brokenAt}: ${result.reason} (${result.entries} entries verified before it)`;
  const lines = [`audit log intact: ${result.entries} entries${savedHead === undefined ? '' : `, reaching the saved head ${savedHead}`}`];
  if (result.hmacFromSeq > 1 && result.entries > 0) lines.push(`  entries 1-${Math.min(result.hmacFromSeq - 1, result.entries)} predate the audit key: checked by their hash chain only`);
  if (result.head !== null) lines.push(`  head: ${result.head.head}`);
  return lines.join('\n');
}
