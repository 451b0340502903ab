#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { closeOnSignals, ConfigError, createLogger, loadConfig, writeSecretFile, type Config } from './platform/index.js';
import { LocalSecretsProvider, loadMasterKey, type SecretsProvider } from './secrets/index.js';
import { openStore } from './store/index.js';
import { createTokenService, ensureDemoClient } from './token-service/index.js';

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

function openSecrets(config: Config): SecretsProvider {
  const dataDir = resolve(config.platform.dataDir);
  return new LocalSecretsProvider(loadMasterKey({ fromEnv: config.platform.masterKey, dataDir }), join(dataDir, 'secrets'));
}

/** `npm start`: the whole platform in one process on the embedded defaults, or on real parts when configured. */
async function main(): Promise<void> {
  const config = readConfig();
  const dataDir = resolve(config.platform.dataDir);
  const logger = createLogger({ level: config.platform.logLevel, name: 'token-service' });
  const secrets = openSecrets(config);
  const store = await openStore({
    databaseUrl: config.platform.databaseUrl,
    poolSize: config.platform.databasePoolSize,
    dataDir,
    redisUrl: config.platform.redisUrl,
    onRedisError: (error) => logger.warn({ err: error }, 'redis error'),
  });
  const tokenService = await createTokenService({ config: config.tokenService, meshConfig: config.mesh, logger, store, secrets });
  const adminTokenFile = join(dataDir, 'admin-token');
  if (config.tokenService.adminToken === undefined) writeSecretFile(adminTokenFile, tokenService.adminToken);
  const addresses = await tokenService.listen();
  closeOnSignals(logger, config.platform.shutdownGraceMs, [() => tokenService.close(), () => store.close(), () => secrets.close()]);

  const issuer = config.tokenService.issuer;
  const lines = [`auth-platform is up. Token service: ${issuer} (internal API: ${addresses.internal})`];
  if (config.tokenService.demoClient) {
    const demo = await ensureDemoClient(tokenService, 'demo-api');
    const secretFile = join(dataDir, 'demo-client-secret');
    writeSecretFile(secretFile, demo.secret);
    lines.push(
      '',
      'Get a token for the demo client:',
      `  curl -s -u ${demo.clientId}:$(cat ${secretFile}) -d grant_type=client_credentials ${issuer}/oauth2/token`,
    );
  }
  lines.push('', `Admin API token: ${config.tokenService.adminToken === undefined ? adminTokenFile : 'AUTH_ADMIN_TOKEN'}`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-platform failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
