#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { createEdgeService, demoRoutes, startDemoUpstream } from './edge/index.js';
import { createMesh } from './mesh/index.js';
import { closeOnSignals, ConfigError, createLogger, createServiceMetrics, loadConfig, Readiness, SERVICE_ACCOUNTS, writeSecretFile, type Config, type Logger } from './platform/index.js';
import { createSecretsProvider, type SecretsProvider, type SecretsSetup } from './secrets/index.js';
import { openCache, openStore, PostgresDb, type Cache } from './store/index.js';
import { createTokenService, ensureDemoClient, type TokenService } from './token-service/index.js';

const ROLES = ['all', 'token-service', 'edge'] as const;
type Role = (typeof ROLES)[number];
const DEMO_AUDIENCE = 'demo-api';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw error;
  }
}

function readRole(): Role {
  const role = process.argv[2] ?? 'all';
  if (!(ROLES as readonly string[]).includes(role)) {
    process.stderr.write(`usage: main.js [${ROLES.join('|')}]\n`);
    process.exit(2);
  }
  return role as Role;
}

async function openSecrets(config: Config, logger: Logger): Promise<SecretsSetup> {
  return createSecretsProvider({ platform: { ...config.platform, dataDir: resolve(config.platform.dataDir) }, vault: config.vault, logger });
}

/** token-service with its secrets and store; dynamic database credentials swap the pool in place. */
async function runTokenService(config: Config, closers: Array<() => Promise<unknown>>): Promise<TokenService> {
  const logger = createLogger({ level: config.platform.logLevel, name: 'token-service' });
  const setup = await openSecrets(config, logger);
  const store = await openStore({
    databaseUrl: config.platform.databaseUrl,
    poolSize: config.platform.databasePoolSize,
    dataDir: resolve(config.platform.dataDir),
    redisUrl: config.platform.redisUrl,
    onRedisError: (error) => logger.warn({ err: error }, 'redis error'),
    ...(setup.database ? { credentials: setup.database.current() } : {}),
  });
  if (setup.database !== undefined && store.db instanceof PostgresDb) {
    const db = store.db;
    setup.database.onCredentials((credentials) => db.swapCredentials(credentials));
  }
  const service = await createTokenService({ config: config.tokenService, meshConfig: config.mesh, logger, store, secrets: setup.secrets });
  if (config.tokenService.adminToken === undefined) writeSecretFile(join(resolve(config.platform.dataDir), 'admin-token'), service.adminToken);
  await service.listen();
  closers.push(() => service.close(), () => store.close(), () => setup.secrets.close());
  return service;
}

/** Secrets the edge reads from the provider: its Redis credentials (`edge/redis` → `url`). */
const EDGE_REDIS_SECRET = 'edge/redis';

/**
 * The edge. In one process with token-service it shares the in-process bus, the secrets provider
 * and the generated admin token; on its own it is a Vault client too, so its log tells the
 * runbook's `grep -i vault` story.
 */
async function runEdge(
  config: Config,
  closers: Array<() => Promise<unknown>>,
  shared?: { cache: Cache; adminToken: string; secrets: SecretsProvider },
): Promise<string> {
  const logger = createLogger({ level: config.platform.logLevel, name: 'auth-edge-service' });
  let secrets = shared?.secrets;
  if (secrets === undefined && config.platform.secretsProvider === 'vault') {
    secrets = (await openSecrets(config, logger)).secrets;
    const provider = secrets;
    closers.push(() => provider.close());
  }
  const redisUrl = (await secrets?.read(EDGE_REDIS_SECRET))?.url ?? config.platform.redisUrl;
  const cache = shared?.cache ?? openCache({ redisUrl, onRedisError: (error) => logger.warn({ err: error }, 'redis error') });
  let routes;
  if (config.edge.routesFile === undefined) {
    const upstream = await startDemoUpstream();
    closers.push(() => upstream.close());
    routes = demoRoutes(upstream.url, DEMO_AUDIENCE);
  }
  const metrics = createServiceMetrics('auth-edge');
  const readiness = new Readiness();
  const mesh = await createMesh({ config: config.mesh, serviceAccount: SERVICE_ACCOUNTS.edge, logger, metrics, readiness });
  closers.push(async () => mesh.close());
  const tokenServiceDispatcher = mesh.createClient({ expectedServer: mesh.workloads(SERVICE_ACCOUNTS.tokenService) });
  const edge = createEdgeService({
    config: config.edge, logger, bus: cache.bus, rateLimiter: cache.rateLimiter, mesh, metrics, readiness,
    ...(tokenServiceDispatcher ? { tokenServiceDispatcher } : {}),
    ...(routes ? { routes } : {}),
    ...(shared ? { adminToken: shared.adminToken } : {}),
  });
  if (secrets !== undefined) {
    const provider = secrets;
    edge.readiness.register('secrets', () => provider.status());
  }
  const url = await edge.start();
  closers.unshift(() => edge.close());
  if (!shared) closers.push(() => cache.close());
  return url;
}

function welcome(config: Config, edgeUrl: string | undefined, demoSecretFile: string | undefined): string {
  const issuer = config.tokenService.issuer;
  const lines = [`auth-platform is up.`, `  token-service  ${issuer}  (internal API on port ${config.tokenService.internalPort})`];
  if (edgeUrl !== undefined) lines.push(`  edge           ${edgeUrl}`);
  if (demoSecretFile !== undefined) {
    lines.push(
      '',
      '1. Get a token for the demo client:',
      `   TOKEN=$(curl -s -u demo:$(cat ${demoSecretFile}) -d grant_type=client_credentials ${issuer}/oauth2/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
    );
    if (edgeUrl !== undefined) lines.push('', '2. Call the protected demo API through the edge:', `   curl -s -H "Authorization: Bearer $TOKEN" ${edgeUrl}/demo/hello`);
  }
  lines.push('', `Admin token: ${config.tokenService.adminToken === undefined ? join(resolve(config.platform.dataDir), 'admin-token') : 'AUTH_ADMIN_TOKEN'}  (npm run authctl -- --help)`, '');
  return lines.join('\n');
}

/** `npm start` runs every service in one process on the embedded defaults; `main.js <role>` runs one (Kubernetes). */
async function main(): Promise<void> {
  const role = readRole();
  const config = readConfig();
  const closers: Array<() => Promise<unknown>> = [];
  const shutdownLogger = createLogger({ level: config.platform.logLevel, name: 'auth-platform' });
  closeOnSignals(shutdownLogger, config.platform.shutdownGraceMs, closers);

  let tokenService: TokenService | undefined;
  if (role !== 'edge') tokenService = await runTokenService(config, closers);
  let edgeUrl: string | undefined;
  if (role !== 'token-service') {
    edgeUrl = await runEdge(config, closers, tokenService && { cache: tokenService.context.store, adminToken: tokenService.adminToken, secrets: tokenService.context.secrets });
  }
  let demoSecretFile: string | undefined;
  if (tokenService !== undefined && config.tokenService.demoClient) {
    const demo = await ensureDemoClient(tokenService, DEMO_AUDIENCE);
    demoSecretFile = join(resolve(config.platform.dataDir), 'demo-client-secret');
    writeSecretFile(demoSecretFile, demo.secret);
  }
  process.stdout.write(welcome(config, edgeUrl, demoSecretFile) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-platform failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
