import type { Logger, PlatformConfig, Registry, VaultConfig } from '../platform/index.js';
import { LocalSecretsProvider } from './local/local-provider.js';
import { loadMasterKey } from './local/master-key.js';
import type { SecretsProvider } from './provider.js';
import type { CredentialsListener, DbCredentials } from './vault/lease-manager.js';
import { VaultProvider } from './vault/vault-provider.js';

/** Dynamic database credentials: the pool opens with `current()` and swaps on `onCredentials`. */
export interface DynamicDatabaseCredentials {
  current(): DbCredentials;
  onCredentials(listener: CredentialsListener): () => void;
  /** PostgreSQL refused `user` (role gone, password wrong): replace the credentials now. The store's `onCredentialsRejected`. */
  replaceRejected(user: string): Promise<void>;
}

export interface SecretsSetup {
  secrets: SecretsProvider;
  /** Present with SECRETS_PROVIDER=vault and VAULT_DB_ROLE set. */
  database: DynamicDatabaseCredentials | undefined;
}

/**
 * The one place that turns SECRETS_PROVIDER into a provider: the embedded local one (a file
 * sealed under the master key in AUTH_DATA_DIR), or Vault. With Vault it has logged in and,
 * when a database role is configured, holds the first credentials before it returns.
 */
export async function createSecretsProvider(options: {
  platform: PlatformConfig;
  vault: VaultConfig | undefined;
  logger: Logger;
  registry?: Registry;
}): Promise<SecretsSetup> {
  if (options.platform.secretsProvider === 'local') {
    const masterKey = loadMasterKey({ fromEnv: options.platform.masterKey, dataDir: options.platform.dataDir });
    return { secrets: new LocalSecretsProvider(masterKey, options.platform.dataDir), database: undefined };
  }
  if (options.vault === undefined) throw new Error('SECRETS_PROVIDER=vault needs the Vault configuration (VAULT_ADDR, ...)');
  const provider = await VaultProvider.start({
    config: options.vault,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
  });
  return { secrets: provider, database: provider.database };
}
