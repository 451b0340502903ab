export { SecretsUnavailableError, assertSecretPath, SECRET_PATH, type LeaseView, type SecretData, type SecretsProvider } from './provider.js';
export { LocalSecretsProvider } from './local/local-provider.js';
export { loadMasterKey } from './local/master-key.js';
export { createSecretsProvider, type DynamicDatabaseCredentials, type SecretsSetup } from './create-provider.js';
export { VaultProvider, VaultClient, VaultHttp, VaultOutageError, VaultPermissionError, VaultRequestError, type DbCredentials, type HealthReport, type LeaseInfo, type LeaseRenewal, type SealStatus } from './vault/index.js';
