import type { Logger, Readiness, ServiceMetrics, TokenServiceConfig } from '../platform/index.js';
import type { Counter } from '../platform/index.js';
import type { Mesh } from '../mesh/index.js';
import type { SecretsProvider } from '../secrets/index.js';
import type { Store } from '../store/index.js';
import type { AccessTokenInspector } from './access-token-inspector.js';
import type { AdminCredential } from './admin-credential.js';
import type { ClientAuthenticator } from './client-auth/authenticate-client.js';
import type { ClientCache } from './client-auth/client-cache.js';
import type { ClientSecretHasher } from './client-auth/client-secret.js';
import type { FailedAuthLimiter } from './client-auth/failed-auth-limiter.js';
import type { GrantRegistry } from './grants/index.js';
import type { KeyRing } from './keys/key-ring.js';
import type { RevocationFeedCredential } from './revocation-feed-credential.js';
import type { RevocationService } from './revocation-service.js';
import type { TokenMinter } from './token-minter.js';

/** Everything the route plugins need, built once at start. */
export interface TokenServiceContext {
  config: TokenServiceConfig;
  store: Store;
  secrets: SecretsProvider;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
  mesh: Mesh;
  counters: {
    issued: Counter<'grant_type'>;
    refused: Counter<'endpoint' | 'error'>;
  };
  keyRing: KeyRing;
  minter: TokenMinter;
  grants: GrantRegistry;
  clientAuth: ClientAuthenticator;
  /** Invalidate it after changing or deleting a client. */
  clientCache: ClientCache;
  hasher: ClientSecretHasher;
  inspector: AccessTokenInspector;
  revocations: RevocationService;
  adminCredential: AdminCredential;
  revocationFeedCredential: RevocationFeedCredential;
  failedAuth: FailedAuthLimiter;
  now: () => number;
}
