import { join, resolve } from 'node:path';
import { certificateFiles } from './mesh/index.js';
import { SERVICE_ACCOUNTS, type Config, type ReadinessReport } from './platform/index.js';

/** A service this process started: where it listens and what its /readyz says right now. */
export interface StartedService {
  name: string;
  url: string;
  readiness: ReadinessReport;
  note?: string;
}

/** `ready`, or the state and the dependencies behind it, as /readyz reports them. */
function describeReadiness(report: ReadinessReport): string {
  if (report.status === 'ready') return 'ready';
  const failing = Object.entries(report.dependencies)
    .filter(([, dependency]) => dependency.status !== 'up')
    .map(([name, dependency]) => `${name} ${dependency.status}${dependency.detail ? ` (${dependency.detail})` : ''}`);
  return `${report.status.replace('_', ' ')}: ${failing.join('; ')}`;
}

/**
 * What `npm start` prints once the listeners are open. It says "up" only when every service's
 * readiness is ready or degraded, and its curls are the ones that work against these listeners:
 * under native mTLS they trust our development CA (the public listeners take client certificates
 * but do not require them, so none is passed).
 */
export function startBanner(config: Config, services: StartedService[], demoSecretFile: string | undefined): string {
  const notReady = services.filter((s) => s.readiness.status === 'not_ready');
  const headline = notReady.length === 0
    ? 'auth-platform is up.'
    : `auth-platform started, but ${notReady.map((s) => s.name).join(' and ')} ${notReady.length === 1 ? 'is' : 'are'} not ready.`;
  const lines = [headline];
  for (const service of services) {
    lines.push(`  ${service.name.padEnd(14)} ${service.url}  ${describeReadiness(service.readiness)}${service.note ? `  (${service.note})` : ''}`);
  }
  const tls = config.mesh.mode === 'native' ? `--cacert ${resolve(certificateFiles(config.mesh, SERVICE_ACCOUNTS.tokenService).ca)} ` : '';
  if (notReady.length > 0) {
    lines.push('', 'Each service says what it waits for:', ...notReady.map((s) => `   curl -s ${tls}${s.url}/readyz`));
  }
  const issuer = config.tokenService.issuer;
  const edge = services.find((s) => s.name === 'edge');
  if (demoSecretFile !== undefined) {
    lines.push(
      '',
      '1. Get a token for the demo client:',
      `   TOKEN=$(curl -s ${tls}-u demo:$(cat ${demoSecretFile}) -d grant_type=client_credentials ${issuer}/oauth2/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
    );
    if (edge !== undefined) lines.push('', '2. Call the protected demo API through the edge:', `   curl -s ${tls}-H "Authorization: Bearer $TOKEN" ${edge.url}/demo/hello`);
  }
  const adminToken = config.tokenService.adminToken === undefined ? join(resolve(config.platform.dataDir), 'admin-token') : 'AUTH_ADMIN_TOKEN';
  lines.push(
    '',
    `Admin token: ${adminToken}`,
    'Operate it with authctl, in this same environment (it reads the same variables): npm run authctl -- status',
    '',
  );
  return lines.join('\n');
}
