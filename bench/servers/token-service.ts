import { join } from 'node:path';
import { createLogger, loadConfig } from '../../src/platform/index.js';
import { LocalSecretsProvider, loadMasterKey } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { createTokenService } from '../../src/token-service/index.js';
import { announceReady, closeOnTerm } from '../lib/child.js';

/**
 * token-service on the embedded defaults, wired as src/main.ts wires it (embedded PostgreSQL engine
 * with files in AUTH_DATA_DIR, local secrets provider, in-process bus and rate limiter), configured
 * from the environment. Only the token-service: the edge runs in its own process in the bench.
 */
const config = loadConfig(process.env);
const dataDir = config.platform.dataDir;
const logger = createLogger({ level: config.platform.logLevel, name: 'token-service' });
const secrets = new LocalSecretsProvider(loadMasterKey({ fromEnv: config.platform.masterKey, dataDir }), join(dataDir, 'secrets'));
const store = await openStore({ dataDir });
const service = await createTokenService({ config: config.tokenService, meshConfig: config.mesh, logger, store, secrets });
const addresses = await service.listen();
announceReady({ url: addresses.public, internalUrl: addresses.internal, adminToken: service.adminToken });
closeOnTerm(async () => {
  await service.close();
  await store.close();
  await secrets.close();
});
