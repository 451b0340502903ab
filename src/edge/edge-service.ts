import type { FastifyInstance } from 'fastify';
import type { Dispatcher } from 'undici';
import { createHttpApp, createServiceMetrics, Readiness, type EdgeConfig, type Logger, type ServiceMetrics } from '../platform/index.js';
import type { Mesh } from '../mesh/index.js';
import type { EventBus, RateLimiter } from '../store/index.js';
import { CircuitBreaker } from './circuit-breaker.js';
import { createEdgeMetrics } from './edge-metrics.js';
import { forwardAuthRoutes } from './forward-auth.js';
import { Gate } from './gate.js';
import { JwksCache } from './keys/jwks-cache.js';
import { routeChecks, tokenChecks, type PipelineDependencies } from './pipeline.js';
import { reverseProxyRoutes } from './proxy/reverse-proxy.js';
import { UpstreamPools } from './proxy/upstream-pools.js';
import { ClientRevocations } from './revocation/client-revocations.js';
import { FeedToken, type FeedTokenSource } from './revocation/feed-token.js';
import { RevocationSet } from './revocation/revocation-set.js';
import { RevocationSync } from './revocation/revocation-sync.js';
import { parseRoutes, readRouteFile, type RouteDefinition, type RouteSpec } from './routes/route-definition.js';
import { RouteTable } from './routes/route-table.js';
import { isOutage, TokenServiceClient } from './token-service-client.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export interface EdgeServiceOptions {
  config: EdgeConfig;
  logger: Logger;
  /** Revocation and key events: the in-process bus on the embedded default, Redis otherwise. */
  bus: EventBus;
  /** Memory (embedded) or Redis (shared by replicas). */
  rateLimiter: RateLimiter;
  /** Routes given in code (the demo); when absent, `config.routesFile` is read. */
  routes?: readonly RouteSpec[];
  /**
   * The revocation feed credential when it is not in the config: the one token-service generated
   * (same process), or a reader of the secrets provider (read again after a 401).
   */
  revocationFeedToken?: FeedTokenSource;
  /** How to connect to token-service: the mesh client (`mesh.createClient(...)`) under native mTLS. */
  tokenServiceDispatcher?: Dispatcher;
  /**
   * Service identity: callers' workload identities (for identity-bound tokens) and, in native
   * mode, a TLS listener. Build it on the same `metrics` and `readiness` passed here.
   */
  mesh?: Mesh;
  metrics?: ServiceMetrics;
  readiness?: Readiness;
  /** Milliseconds since the epoch; tests move time with it. */
  now?: () => number;
}

export interface EdgeService {
  app: FastifyInstance;
  metrics: ServiceMetrics;
  readiness: Readiness;
  /** Loads keys and revocations (failures degrade, never abort), then listens; resolves to the base URL. */
  start(): Promise<string>;
  close(): Promise<void>;
}

const CACHE_PURGE_INTERVAL_MS = 60_000;

/** The auth-edge-service: forward-auth at /auth/verify and a reverse proxy for every configured route. */
export function createEdgeService(options: EdgeServiceOptions): EdgeService {
  const { config, logger } = options;
  const now = options.now ?? Date.now;
  const routeDefinitions: RouteDefinition[] = options.routes !== undefined
    ? parseRoutes({ routes: options.routes })
    : config.routesFile !== undefined ? readRouteFile(config.routesFile) : [];

  const metrics = options.metrics ?? createServiceMetrics('auth-edge');
  const readiness = options.readiness ?? new Readiness();
  const breaker = new CircuitBreaker('token-service', {
    failureThreshold: config.breakerFailureThreshold,
    resetMs: config.breakerResetMs,
    now,
    isFailure: isOutage,
    onStateChange: (state) => {
      if (state === 'open') logger.warn('token-service: circuit open; serving cached keys and revocations');
      else if (state === 'closed') logger.info('token-service: circuit closed');
    },
  });
  const client = new TokenServiceClient({
    internalUrl: config.tokenServiceInternalUrl,
    jwksUrl: config.jwksUrl,
    feedToken: new FeedToken(options.revocationFeedToken ?? config.revocationFeedToken),
    timeoutMs: config.tokenServiceTimeoutMs,
    breaker,
    ...(options.tokenServiceDispatcher ? { dispatcher: options.tokenServiceDispatcher } : {}),
  });
  const verifiedTokens = new VerifiedTokenCache(config.verifiedCacheSize);
  const jwks = new JwksCache({
    client,
    logger,
    now,
    refreshIntervalMs: config.jwksRefreshIntervalMs,
    maxStaleMs: config.jwksMaxStaleMs,
    kidMissMinIntervalMs: config.kidMissMinIntervalMs,
  });
  const revocations = new RevocationSet(config.clockSkewMs);
  const clientRevocations = new ClientRevocations(config.clockSkewMs);
  const revocationSync = new RevocationSync({
    set: revocations,
    clients: clientRevocations,
    bus: options.bus,
    client,
    logger,
    now,
    pollIntervalMs: config.revocationPollIntervalMs,
    onKeyPublished: () => void jwks.refresh(),
  });
  const edgeMetrics = createEdgeMetrics(metrics.registry, {
    jwksAgeMs: () => jwks.ageMs(),
    jwksKeys: () => jwks.size,
    revocationLagSeconds: () => revocationSync.lagSeconds(),
    revocationEntries: () => revocations.size + clientRevocations.size,
    verifiedTokens: () => verifiedTokens.size,
    breakerState: () => breaker.state,
  });
  readiness.register('jwks', () => jwks.status());
  readiness.register('revocations', () => revocationSync.status());

  const deps: PipelineDependencies = {
    issuer: config.issuer,
    clockSkewSeconds: config.clockSkewMs / 1000,
    maxTokenBytes: config.maxTokenBytes,
    jwks,
    revocations,
    clientRevocations,
    verifiedTokens,
    rateLimiter: options.rateLimiter,
    rateLimitPerIp: config.rateLimitPerIp,
    rateLimitPerSubject: config.rateLimitPerSubject,
    onRateLimiterError: () => edgeMetrics.rateLimiterErrors.inc(),
  };
  const sharedTokenChecks = tokenChecks(deps);
  const routes = new RouteTable(routeDefinitions, (route) => routeChecks(route, deps, sharedTokenChecks), {
    upstreamTimeoutMs: config.upstreamTimeoutMs,
    maxBodyBytes: config.maxBodyBytes,
  });
  const pools = new UpstreamPools(
    routeDefinitions.flatMap((r) => (r.upstream === undefined ? [] : [r.upstream])),
    config.upstreamConnections,
  );
  const gate = new Gate(routes, edgeMetrics, logger, now);

  // Client certificates are optional: they matter only for tokens bound to a workload identity.
  const app = createHttpApp({
    logger,
    metrics,
    readiness,
    trustProxy: config.trustProxy,
    https: options.mesh?.serverOptions('optional') ?? null,
    // A slow client holds an upstream connection while its body trickles in: bound how long it may take.
    requestTimeouts: { headersMs: config.requestHeadersTimeoutMs, requestMs: config.requestTimeoutMs },
  });
  options.mesh?.install(app);
  void app.register(forwardAuthRoutes, { gate, proxy: config.forwardAuthProxy, identityHeaders: routes });
  void app.register(reverseProxyRoutes, {
    gate,
    routes,
    pools,
    metrics: edgeMetrics,
    trustProxy: config.trustProxy,
    allowUnderscoreHeaders: config.allowUnderscoreHeaders,
  });

  let purgeTimer: NodeJS.Timeout | undefined;
  return {
    app,
    metrics,
    readiness,
    async start() {
      await jwks.start();
      await revocationSync.start();
      purgeTimer = setInterval(() => verifiedTokens.purgeExpired(now() / 1000, deps.clockSkewSeconds), CACHE_PURGE_INTERVAL_MS);
      purgeTimer.unref();
      const address = await app.listen({ host: config.host, port: config.port });
      logger.info({ address, routes: routeDefinitions.map((r) => r.name) }, 'auth-edge: listening');
      return address;
    },
    async close() {
      clearInterval(purgeTimer);
      jwks.stop();
      revocationSync.stop();
      await app.close();
      await pools.close();
    },
  };
}
