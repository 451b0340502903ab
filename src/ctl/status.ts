import type { Command } from 'commander';
import { AdminApi, globalOptions, output, type GlobalOptions } from './connection.js';

interface ReadinessReport {
  status: string;
  dependencies: Record<string, { status: string; detail?: string; [k: string]: unknown }>;
}

async function readiness(url: string): Promise<ReadinessReport | { status: 'unreachable'; error: string }> {
  try {
    const response = await fetch(`${url.replace(/\/$/, '')}/readyz`, { signal: AbortSignal.timeout(5000) });
    return (await response.json()) as ReadinessReport;
  } catch (error) {
    return { status: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
}

/** The audit log's head, to note outside the database; it needs the admin token, which status otherwise does not. */
async function auditHead(globals: GlobalOptions): Promise<{ head: string | null } | { error: string }> {
  try {
    const result = await (await AdminApi.from(globals)).call<{ head: { head: string } | null }>('GET', '/admin/audit/head');
    return { head: result.head?.head ?? null };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

/** `authctl status`: first stop of "Full Platform Outage": every service's readiness, per dependency. */
export function register(program: Command): void {
  program
    .command('status')
    .description('readiness of each service, dependency by dependency (Vault, database, keys, JWKS, certificates)')
    .option('--edge-url <url>', 'auth-edge-service base URL (AUTHCTL_EDGE_URL)', process.env.AUTHCTL_EDGE_URL ?? 'http://127.0.0.1:8081')
    .action(async (options: { edgeUrl: string }, command: Command) => {
      const globals = globalOptions(command);
      const services = { 'token-service': await readiness(globals.url), 'auth-edge-service': await readiness(options.edgeUrl) };
      const audit = services['token-service'].status === 'unreachable' ? { error: 'token-service unreachable' } : await auditHead(globals);
      output(globals, { ...services, auditHead: audit }, () => {
        const sections = Object.entries(services).map(([name, report]) => {
          const lines = [`${name}: ${report.status}`];
          if ('dependencies' in report) {
            for (const [dep, s] of Object.entries(report.dependencies)) lines.push(`  ${dep.padEnd(14)} ${s.status}${s.detail ? `  (${s.detail})` : ''}`);
          } else {
            lines.push(`  ${report.error}`);
          }
          return lines.join('\n');
        });
        sections.push('head' in audit ? `audit head: ${audit.head ?? '(empty log)'}` : `audit head: unavailable (${audit.error})`);
        return sections.join('\n');
      });
      if (Object.values(services).some((s) => s.status === 'not_ready' || s.status === 'unreachable')) process.exitCode = 1;
    });
}
