import { join, resolve } from 'node:path';
import { createEdgeService, demoRoutes, edgeSecretsStatus, startDemoUpstream } from './edge/index.js';
import { createMesh } from './mesh/index.js';
import {
  createLogger, createServiceMetrics, databaseFailure, dataDirFailure, listenFailure, Readiness, SERVICE_ACCOUNTS, writeSecretFile,
  type Config, type Logger, type Registry,
} from './platform/index.js';
import { createSecretsProvider, type SecretsProvider, type SecretsSetup } from './secrets/index.js';
import { openCache, openStore, PostgresDb, type Cache } from './store/index.js';
import { createTokenService, REVOCATION_FEED_TOKEN_PATH, type TokenService } from './token-service/index.js';

/** The audience of the demo route and the demo client. */
export const DEMO_AUDIENCE = 'demo-api';

/** Shutdown steps, run in order on SIGTERM: servers first, then stores and providers. */
export type Closers = Array<() => Promise<unknown>>;

/** The provider's metrics (vault_up, vault_grace_remaining_seconds, …) go on the service's registry, so its /metrics shows them. */
async function openSecrets(config: Config, logger: Logger, registry: Registry): Promise<SecretsSetup> {
  const dataDir = resolve(config.platform.dataDir);
  // Vault's failures name VAULT_ADDR or the login variables themselves; the local provider's are about AUTH_DATA_DIR.
  return createSecretsProvider({ platform: { ...config.platform, dataDir }, vault: config.vault, logger, registry })
    .catch((error: unknown) => { throw config.platform.secretsProvider === 'local' ? dataDirFailure(dataDir, error) : error; });
}

/** token-service with its secrets and store; dynamic database credentials swap the pool in place. */
export async function runTokenService(config: Config, closers: Closers): Promise<TokenService> {
  const logger = createLogger({ level: config.platform.logLevel, name: 'token-service' });
  const metrics = createServiceMetrics('token-service');
  const setup = await openSecrets(config, logger, metrics.registry);
  const { database } = setup;
  const store = await openStore({
    databaseUrl: config.platform.databaseUrl,
    poolSize: config.platform.databasePoolSize,
    dataDir: resolve(config.platform.dataDir),
    redisUrl: config.platform.redisUrl,
    onRedisError: (error) => logger.warn({ err: error }, 'redis error'),
    // PostgreSQL refusing the credentials (a lease revoked from outside) replaces them at once, not at the next lease check.
    ...(database ? { credentials: database.current(), onCredentialsRejected: (user: string) => database.replaceRejected(user) } : {}),
  }).catch((error: unknown) => { throw databaseFailure({ ...config.platform, dataDir: resolve(config.platform.dataDir) }, error); });
  if (setup.database !== undefined && store.db instanceof PostgresDb) {
    const db = store.db;
    setup.database.onCredentials((credentials) => db.swapCredentials(credentials));
  }
  const service = await createTokenService({ config: config.tokenService, meshConfig: config.mesh, logger, store, secrets: setup.secrets, metrics });
  if (config.tokenService.adminToken === undefined) writeSecretFile(join(resolve(config.platform.dataDir), 'admin-token'), service.adminToken);
  const { host, port, internalHost, internalPort } = config.tokenService;
  await service.listen().catch((error: unknown) => {
    throw listenFailure(error, [
      { hostVariable: 'TOKEN_SERVICE_HOST', host, portVariable: 'TOKEN_SERVICE_PORT', port },
      { hostVariable: 'TOKEN_SERVICE_INTERNAL_HOST', host: internalHost, portVariable: 'TOKEN_SERVICE_INTERNAL_PORT', port: internalPort },
    ]);
  });
  closers.push(() => service.close(), () => store.close(), () => setup.secrets.close());
  return service;
}

/** Secrets the edge reads from the provider: its Redis credentials (`edge/redis` → `url`). */
const EDGE_REDIS_SECRET = 'edge/redis';

/**
 * The edge. In one process with token-service it shares the in-process bus, the secrets provider
 * and the revocation feed token; on its own it is a Vault client too, so its log tells the
 * runbook's `grep -i vault` story, and it reads the feed token token-service stored there.
 * It registers its dependencies on `readiness`, which the caller may pass to report them itself.
 */
export async function runEdge(
  config: Config,
  closers: Closers,
  shared?: { cache: Cache; revocationFeedToken: string; secrets: SecretsProvider },
  readiness = new Readiness(),
): Promise<string> {
  const logger = createLogger({ level: config.platform.logLevel, name: 'auth-edge-service' });
  const metrics = createServiceMetrics('auth-edge');
  let secrets = shared?.secrets;
  if (secrets === undefined && config.platform.secretsProvider === 'vault') {
    secrets = (await openSecrets(config, logger, metrics.registry)).secrets;
    const provider = secrets;
    closers.push(() => provider.close());
  }
  // The feed credential: token-service's own beside it; else configured; else the one token-service
  // stored in Vault, read when first needed (and again after a 401), so start order does not matter.
  const vault = shared ? undefined : secrets;
  const revocationFeedToken = shared?.revocationFeedToken ?? config.edge.revocationFeedToken
    ?? (vault && (async () => (await vault.read(REVOCATION_FEED_TOKEN_PATH))?.value));
  if (revocationFeedToken === undefined) {
    throw new Error('EDGE_REVOCATION_FEED_TOKEN: required when the edge runs on its own without SECRETS_PROVIDER=vault (the revocation feed would refuse it)');
  }
  // Beside token-service the edge uses its cache and reads no secret of its own: that provider
  // holds token-service's Vault token, whose policy does not cover edge/*.
  const cache = shared?.cache ?? openCache({
    redisUrl: (await secrets?.read(EDGE_REDIS_SECRET))?.url ?? config.platform.redisUrl,
    onRedisError: (error) => logger.warn({ err: error }, 'redis error'),
  });
  let routes;
  if (config.edge.routesFile === undefined) {
    const upstream = await startDemoUpstream();
    closers.push(() => upstream.close());
    routes = demoRoutes(upstream.url, DEMO_AUDIENCE);
  }
  const mesh = await createMesh({ config: config.mesh, serviceAccount: SERVICE_ACCOUNTS.edge, logger, metrics, readiness });
  closers.push(async () => mesh.close());
  const tokenServiceDispatcher = mesh.createClient({ expectedServer: mesh.workloads(SERVICE_ACCOUNTS.tokenService) });
  const edge = createEdgeService({
    config: config.edge, logger, bus: cache.bus, rateLimiter: cache.rateLimiter, mesh, metrics, readiness,
    ...(tokenServiceDispatcher ? { tokenServiceDispatcher } : {}),
    ...(routes ? { routes } : {}),
    revocationFeedToken,
  });
  if (secrets !== undefined) {
    const provider = secrets;
    edge.readiness.register('secrets', () => edgeSecretsStatus(provider.status()));
  }
  const url = await edge.start().catch((error: unknown) => {
    throw listenFailure(error, [{ hostVariable: 'EDGE_HOST', host: config.edge.host, portVariable: 'EDGE_PORT', port: config.edge.port }]);
  });
  closers.unshift(() => edge.close());
  if (!shared) closers.push(() => cache.close());
  return url;
}
