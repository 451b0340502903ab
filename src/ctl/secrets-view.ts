import { reasonOf, type ServiceEndpoint } from './connection.js';

/**
 * How a service sees its secrets provider, read from its own /readyz (the `secrets` dependency):
 * what `authctl vault status` and `authctl leases list` show whatever Vault's state, since the
 * services answer from memory.
 */
export type SecretsView =
  | { url: string; reachable: false; error: string }
  | { url: string; reachable: true; provider: 'local' | 'none' }
  | { url: string; reachable: true; provider: 'vault'; status: string; vault?: string; graceRemainingMs?: number; detail?: string };

interface ReadinessBody {
  dependencies?: Record<string, { status?: string; provider?: string; vault?: string; graceRemainingMs?: number; detail?: string }>;
}

/** What each service answered, under the name authctl prints for it. */
export interface PerService<T> {
  'token-service': T;
  'auth-edge-service': T;
}

/** Asks token-service and the edge at once. */
export async function askBoth<T>(tokenService: Promise<T>, edge: Promise<T>): Promise<PerService<T>> {
  const [fromTokenService, fromEdge] = await Promise.all([tokenService, edge]);
  return { 'token-service': fromTokenService, 'auth-edge-service': fromEdge };
}

export async function readSecretsView(endpoint: ServiceEndpoint): Promise<SecretsView> {
  const url = `${endpoint.url}/readyz`;
  let body: ReadinessBody;
  try {
    // 503 (not ready) still carries the report.
    body = (await (await endpoint.fetch('/readyz', { signal: AbortSignal.timeout(5_000) })).json()) as ReadinessBody;
  } catch (error) {
    return { url, reachable: false, error: `cannot reach ${url}: ${reasonOf(error)}` };
  }
  const secrets = body.dependencies?.secrets;
  if (secrets === undefined) return { url, reachable: true, provider: 'none' };
  if (secrets.provider !== 'vault') return { url, reachable: true, provider: 'local' };
  return {
    url, reachable: true, provider: 'vault', status: secrets.status ?? 'unknown',
    ...(secrets.vault === undefined ? {} : { vault: secrets.vault }),
    ...(typeof secrets.graceRemainingMs === 'number' ? { graceRemainingMs: secrets.graceRemainingMs } : {}),
    ...(secrets.detail === undefined ? {} : { detail: secrets.detail }),
  };
}

/** One line: the state and the grace left, or why there is nothing to show. */
export function describeSecretsView(view: SecretsView): string {
  if (!view.reachable) return `unreachable: ${view.error}`;
  if (view.provider !== 'vault') return `does not use Vault (${view.provider === 'local' ? 'local secrets provider' : 'no secrets provider'})`;
  const grace = view.graceRemainingMs === undefined ? ''
    : view.status === 'up' ? `grace ${formatDuration(view.graceRemainingMs)} (full)`
    : view.graceRemainingMs > 0 ? `grace left ${formatDuration(view.graceRemainingMs)}` : 'grace over';
  return [view.status.padEnd(9), grace, view.detail === undefined ? '' : `(${view.detail})`].filter((p) => p !== '').join('  ');
}

/** `4m12s`, `5m`, `45s`. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  return [h > 0 ? `${h}h` : '', m > 0 ? `${m}m` : '', s > 0 || total === 0 ? `${s}s` : ''].join('');
}
