import type { RouteSpec } from '../../src/edge/index.js';
import type { ServerProcess } from './child.js';
import type { BenchContext } from './context.js';
import { BENCH_RESOURCE, type RunningTokenService } from './token-service.js';

/** One route under /api for the bench client's audience and `read`, proxied to `upstream` when given. */
export function benchRoutes(upstream?: string): RouteSpec[] {
  return [{ name: 'api', pathPrefix: '/api', ...(upstream === undefined ? {} : { upstream }), policy: { audience: BENCH_RESOURCE, scopes: ['read'] } }];
}

/**
 * Rate limits stay on (so their cost is measured) with a capacity no bench run can exhaust: all the
 * load comes from one IP and one subject, which the production defaults would rightly throttle.
 */
const UNREACHABLE_LIMIT = '1000000000/1m';

export function startEdge(
  ctx: BenchContext,
  name: string,
  tokenService: RunningTokenService,
  routes: RouteSpec[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  return ctx.node(name, 'edge', {
    env: {
      EDGE_PORT: '0',
      EDGE_TOKEN_SERVICE_URL: tokenService.server.info.url,
      EDGE_TOKEN_SERVICE_INTERNAL_URL: tokenService.server.info.internalUrl,
      EDGE_ISSUER: tokenService.server.info.url,
      EDGE_REVOCATION_FEED_TOKEN: tokenService.revocationFeedToken,
      EDGE_RATE_LIMIT_IP: UNREACHABLE_LIMIT,
      EDGE_RATE_LIMIT_SUBJECT: UNREACHABLE_LIMIT,
      BENCH_ROUTES: JSON.stringify(routes),
      ...env,
    },
  });
}
