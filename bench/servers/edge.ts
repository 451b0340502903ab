import { createEdgeService, type RouteSpec } from '../../src/edge/index.js';
import { createLogger, EnvReader, readEdgeConfig } from '../../src/platform/index.js';
// The cache modules, not the store's index, which would load the SQL engines the edge never uses.
import { MemoryEventBus } from '../../src/store/cache/event-bus.js';
import { MemoryRateLimiter } from '../../src/store/cache/rate-limiter.js';
import { announceReady, closeOnTerm } from '../lib/child.js';

/**
 * The auth-edge-service as deployed on the embedded default (in-process bus and rate limiter),
 * configured from the environment like production, with the routes passed in BENCH_ROUTES.
 * Revocations reach it through the token-service's pull feed.
 */
const config = readEdgeConfig(new EnvReader(process.env));
const logger = createLogger({ level: 'info', name: 'auth-edge' });
const routes = JSON.parse(process.env.BENCH_ROUTES ?? '[]') as RouteSpec[];
const edge = createEdgeService({ config, logger, bus: new MemoryEventBus(), rateLimiter: new MemoryRateLimiter(), routes });
const url = await edge.start();
announceReady({ url });
closeOnTerm(() => edge.close());
