import type { Command } from 'commander';
import { AdminApi, globalOptions, output, platformEndpoints, type GlobalOptions, type ServiceEndpoint } from './connection.js';
import { certificateFilesStatus, redisStatus, type PartStatus } from './status-checks.js';

interface ReadinessReport {
  url: string;
  status: string;
  dependencies: Record<string, { status: string; detail?: string; [k: string]: unknown }>;
}

/** The service's own /readyz (503 still carries the report), or why it gave none, naming the URL asked. */
async function readiness(endpoint: ServiceEndpoint): Promise<ReadinessReport | { url: string; status: 'unreachable' | 'unknown'; error: string }> {
  const url = endpoint.url;
  let response;
  try {
    response = await endpoint.fetch('/readyz', { signal: AbortSignal.timeout(5000) });
  } catch (error) {
    return { url, status: 'unreachable', error: error instanceof Error ? error.message : String(error) };
  }
  const report = (await response.json().catch(() => undefined)) as Partial<ReadinessReport> | undefined;
  if (typeof report?.status !== 'string' || typeof report.dependencies !== 'object') {
    return { url, status: 'unknown', error: `${url}/readyz answered ${response.status} without a readiness report: is it ${endpoint.name}?` };
  }
  return { url, status: report.status, dependencies: report.dependencies };
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

/** One line per part, then a line per certificate file. */
function describePart(name: string, part: PartStatus): string {
  const lines = [`${name}: ${part.status.replace('_', ' ')}  (${part.target}${part.detail ? `: ${part.detail}` : ''})`];
  for (const line of part.certificates ?? []) lines.push(`  ${line.source}  ${line.notAfter ?? '-'}  ${line.problem ?? 'ok'}`);
  return lines.join('\n');
}

/**
 * `authctl status`: first stop of "Full Platform Outage": every service's readiness, per
 * dependency, and the parts no service reports reliably (Redis, the certificate files).
 */
export function register(program: Command): void {
  program
    .command('status')
    .description('readiness of each service, dependency by dependency (Vault, database, keys, JWKS, certificates), Redis and the certificate files; exit 1 when a part is down')
    .action(async (_options: unknown, command: Command) => {
      const globals = globalOptions(command);
      const endpoints = await platformEndpoints(globals);
      const [tokenService, edge, redis, certificates] = await Promise.all([
        readiness(endpoints.tokenService), readiness(endpoints.edge), redisStatus(globals.config.redisUrl), certificateFilesStatus(globals.config.mesh),
      ]);
      const services = { 'token-service': tokenService, 'auth-edge-service': edge };
      const parts = { redis, certificates };
      const audit = services['token-service'].status === 'unreachable' ? { error: 'token-service unreachable' } : await auditHead(globals);
      output(globals, { ...services, ...parts, auditHead: audit }, () => {
        const sections = Object.entries(services).map(([name, report]) => {
          const lines = [`${name}: ${report.status}  (${report.url})`];
          if ('dependencies' in report) {
            for (const [dep, s] of Object.entries(report.dependencies)) lines.push(`  ${dep.padEnd(14)} ${s.status}${s.detail ? `  (${s.detail})` : ''}`);
          } else {
            lines.push(`  ${report.error}`);
          }
          return lines.join('\n');
        });
        sections.push(...Object.entries(parts).map(([name, part]) => describePart(name, part)));
        sections.push('head' in audit ? `audit head: ${audit.head ?? '(empty log)'}` : `audit head: unavailable (${audit.error})`);
        return sections.join('\n');
      });
      if (Object.values(services).some((s) => s.status !== 'ready' && s.status !== 'degraded')) process.exitCode = 1;
      if (Object.values(parts).some((part) => part.status === 'down')) process.exitCode = 1;
    });
}
