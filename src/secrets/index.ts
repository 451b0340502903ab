export { SecretsUnavailableError, assertSecretPath, SECRET_PATH, type SecretData, type SecretsProvider } from './provider.js';
export { LocalSecretsProvider } from './local/local-provider.js';
export { loadMasterKey } from './local/master-key.js';
