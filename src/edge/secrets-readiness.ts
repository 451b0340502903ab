import type { DependencyStatus } from '../platform/index.js';

/**
 * The secrets dependency as the edge's /readyz reports it. The edge reads its secrets (its Redis
 * credentials) once, at start, and verifies tokens with none, so after Vault's grace it still
 * serves correctly: the provider's `down` becomes `degraded`, its detail kept. Readiness means
 * "can serve"; a long Vault outage must not take every edge out of rotation.
 */
export function edgeSecretsStatus(status: DependencyStatus): DependencyStatus {
  if (status.status !== 'down') return status;
  return { ...status, status: 'degraded', detail: `${status.detail ?? 'secrets unavailable'}; the edge needs no secret to serve and keeps serving` };
}
