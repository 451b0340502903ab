export { VaultProvider, type VaultProviderOptions } from './vault-provider.js';
export { VaultClient, type DatabaseCredentials, type HealthReport, type LeaseInfo, type LeaseRenewal, type SealStatus, type TokenInfo, type VaultSession } from './client.js';
export { VaultHttp, type VaultHttpOptions } from './http.js';
export { VaultOutageError, VaultPermissionError, VaultRequestError, isOutage, type OutageReason } from './errors.js';
export { LeaseManager, type CredentialsListener, type DbCredentials } from './lease-manager.js';
