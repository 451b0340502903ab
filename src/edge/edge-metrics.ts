import { Gauge, Histogram, counter, type Counter, type Registry } from '../platform/index.js';
import type { BreakerState } from './circuit-breaker.js';

const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

export interface EdgeMetrics {
  decisions: Counter<'mode' | 'result' | 'reason'>;
  decisionDuration: Histogram<'mode'>;
  upstreamErrors: Counter<'route' | 'code'>;
  rateLimiterErrors: Counter<never>;
}

export interface EdgeGaugeSources {
  jwksAgeMs: () => number | undefined;
  jwksKeys: () => number;
  revocationLagSeconds: () => number | undefined;
  revocationEntries: () => number;
  verifiedTokens: () => number;
  breakerState: () => BreakerState;
}

/** The edge's own metrics, registered on the service registry (beside the shared HTTP histogram). */
export function createEdgeMetrics(registry: Registry, sources: EdgeGaugeSources): EdgeMetrics {
  const decisions = counter(registry, 'edge_decisions_total', 'Edge decisions by mode, result (allow|deny) and reason code', ['mode', 'result', 'reason'] as const);
  const decisionDuration = new Histogram({
    name: 'edge_decision_duration_seconds',
    help: 'Time to decide a request (verification pipeline only, not the proxied call)',
    labelNames: ['mode'] as const,
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25, 1],
    registers: [registry],
  });
  const upstreamErrors = counter(registry, 'edge_upstream_errors_total', 'Proxied calls that failed, by route and code', ['route', 'code'] as const);
  const rateLimiterErrors = counter(registry, 'edge_rate_limiter_errors_total', 'Rate-limit checks skipped because the limiter failed', []);
  sampled(registry, 'edge_jwks_age_seconds', 'Age of the key set in use (-1: never loaded)', () => {
    const age = sources.jwksAgeMs();
    return age === undefined ? -1 : age / 1000;
  });
  sampled(registry, 'edge_jwks_keys', 'Verification keys in the key set', sources.jwksKeys);
  sampled(registry, 'edge_revocation_lag_seconds', 'Seconds since the revocation set was last confirmed complete by the pull feed (-1: never)', () => sources.revocationLagSeconds() ?? -1);
  sampled(registry, 'edge_revocation_entries', 'Revoked jtis, families and keys held', sources.revocationEntries);
  sampled(registry, 'edge_verified_tokens_cached', 'Entries in the verified-token cache', sources.verifiedTokens);
  new Gauge({
    name: 'edge_circuit_breaker_state',
    help: 'Circuit breaker around token-service: 0 closed, 1 half-open, 2 open',
    labelNames: ['dependency'] as const,
    registers: [registry],
    collect() {
      this.set({ dependency: 'token-service' }, BREAKER_VALUE[sources.breakerState()]);
    },
  });
  return { decisions, decisionDuration, upstreamErrors, rateLimiterErrors };
}

/** A gauge read at scrape time, so nothing on the request path updates it. */
function sampled(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}
