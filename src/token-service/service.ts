import type { FastifyInstance } from 'fastify';
import { createMesh } from '../mesh/index.js';
import { counter, createServiceMetrics, gauge, Readiness, SERVICE_ACCOUNTS, type Logger, type MeshConfig, type ServiceMetrics, type TokenServiceConfig } from '../platform/index.js';
import type { SecretsProvider } from '../secrets/index.js';
import { DatabaseUnavailableError, type Store } from '../store/index.js';
import { AccessTokenInspector } from './access-token-inspector.js';
import { AdminCredential } from './admin-credential.js';
import { buildInternalApp, buildPublicApp } from './app.js';
import { loadAuditKey } from './audit-key.js';
import { ADMIN_TOKEN_PATH, CLIENT_SECRET_PEPPER_PATH, generateSecret, readOrCreateSecret, REVOCATION_FEED_TOKEN_PATH } from './bootstrap-secrets.js';
import { ClientAuthenticator } from './client-auth/authenticate-client.js';
import { ClientCache } from './client-auth/client-cache.js';
import { ClientSecretHasher } from './client-auth/client-secret.js';
import { FailedAuthLimiter } from './client-auth/failed-auth-limiter.js';
import { PrivateKeyJwtVerifier } from './client-auth/private-key-jwt.js';
import type { TokenServiceContext } from './context.js';
import { watchDatabase } from './database-watch.js';
import { clientCredentialsGrant, GrantRegistry, refreshTokenGrant } from './grants/index.js';
import { KeyRing } from './keys/key-ring.js';
import { RevocationFeedCredential } from './revocation-feed-credential.js';
import { RevocationService } from './revocation-service.js';
import { TokenMinter } from './token-minter.js';

export interface TokenServiceOptions {
  config: TokenServiceConfig;
  meshConfig: MeshConfig;
  logger: Logger;
  store: Store;
  secrets: SecretsProvider;
  /** The service's registry, when parts built before it (the Vault provider) already report on it. */
  metrics?: ServiceMetrics;
  /** The clock; tests move it to cross key activation and expiry. */
  now?: () => number;
  /** How often the key ring re-reads itself and checks for due rotation. */
  keyRingTickMs?: number;
  /** How often expired revocations, assertion jtis and refresh families are purged. */
  purgeIntervalMs?: number;
}

export interface TokenService {
  /** OAuth endpoints, metadata and keys. */
  app: FastifyInstance;
  /** Admin API, internal issue API and revocation feed. */
  internalApp: FastifyInstance;
  context: TokenServiceContext;
  /** The admin bearer token in force (from AUTH_ADMIN_TOKEN or generated and stored). */
  adminToken: string;
  /** The edges' revocation feed token in force (from AUTH_REVOCATION_FEED_TOKEN or generated and stored). */
  revocationFeedToken: string;
  /** Starts both listeners; resolves to their addresses. */
  listen(): Promise<{ public: string; internal: string }>;
  close(): Promise<void>;
}

/** Bounds how long another replica's admin change can go unseen if its bus event is lost. */
const CLIENT_CACHE_TTL_MS = 5_000;
const CLIENT_CACHE_SIZE = 10_000;

/** Builds the token-service on a store and a secrets provider; `listen()` serves it. */
export async function createTokenService(options: TokenServiceOptions): Promise<TokenService> {
  const { config, logger, store, secrets } = options;
  const now = options.now ?? Date.now;

  const pepper = await readOrCreateSecret(secrets, CLIENT_SECRET_PEPPER_PATH, generateSecret);
  // Before anything can append to the audit log: entries are written with their HMAC.
  store.audit.useKey(await loadAuditKey(secrets, store.audit));
  const adminToken = config.adminToken ?? (await readOrCreateSecret(secrets, ADMIN_TOKEN_PATH, generateSecret));
  const revocationFeedToken = config.revocationFeedToken ?? (await readOrCreateSecret(secrets, REVOCATION_FEED_TOKEN_PATH, generateSecret));

  const revocations = new RevocationService(store.revocations, store.bus, logger);
  await revocations.start();
  const keyRing = new KeyRing({
    db: store.db, repo: store.signingKeys, revocationRepo: store.revocations, secrets, revocations, bus: store.bus, logger,
    alg: config.signingAlg, publishLeadMs: config.keyPublishLeadMs, retentionMs: config.keyRetentionMs,
    rotationIntervalMs: config.keyRotationIntervalMs, accessTokenTtlMs: config.accessTokenTtlMs, now,
  });
  await keyRing.start(options.keyRingTickMs);

  const metrics = options.metrics ?? createServiceMetrics('token-service');
  const readiness = new Readiness();
  const mesh = await createMesh({ config: options.meshConfig, serviceAccount: SERVICE_ACCOUNTS.tokenService, logger, metrics, readiness });
  const hasher = new ClientSecretHasher(Buffer.from(pepper, 'base64url'));
  const limiterErrors = counter(metrics.registry, 'failed_auth_limiter_errors_total', 'Failed-auth rate-limit checks skipped because the limiter store failed (fail open)', []);
  const failedAuth = new FailedAuthLimiter(store.rateLimiter, {
    limit: config.failedAuthLimit, addressLimit: config.failedAuthAddressLimit, windowMs: config.failedAuthWindowMs,
  }, (error, first) => {
    limiterErrors.inc();
    if (first) logger.warn({ err: error }, 'failed-auth rate limiter unavailable; letting attempts through until it is back');
  });
  readiness.register('rate_limiter', () => failedAuth.status());
  // Client authentication reads clients from memory; the admin API invalidates on change.
  const clientCache = new ClientCache(store.clients, store.bus, {
    ttlMs: CLIENT_CACHE_TTL_MS, maxEntries: CLIENT_CACHE_SIZE, now, databaseDown: () => store.db.availability?.current().up === false,
  });
  await clientCache.start();
  const minter = new TokenMinter(config.issuer, keyRing, config.accessTokenTtlMs, now, (clientId) => revocations.minIssuedAt(clientId));
  const context: TokenServiceContext = {
    config, store, secrets, logger, metrics, readiness, mesh, keyRing, minter, hasher, revocations, failedAuth, clientCache, now,
    counters: {
      issued: counter(metrics.registry, 'tokens_issued_total', 'Tokens issued, by grant type', ['grant_type']),
      refused: counter(metrics.registry, 'token_requests_refused_total', 'OAuth requests refused, by endpoint and error code', ['endpoint', 'error']),
    },
    grants: new GrantRegistry([
      clientCredentialsGrant(minter),
      refreshTokenGrant({ families: store.refreshFamilies, minter, keyRing, revocations, audit: store.audit, accessTokenTtlMs: config.accessTokenTtlMs, now }),
    ]),
    clientAuth: new ClientAuthenticator({
      clients: clientCache, hasher, limiter: failedAuth, audit: store.audit,
      privateKeyJwt: new PrivateKeyJwtVerifier([config.issuer, `${config.issuer}/oauth2/token`], config.clientAssertionMaxAgeMs, store.assertionJtis, now),
    }),
    inspector: new AccessTokenInspector(config.issuer, keyRing, store.revocations, store.refreshFamilies, now),
    adminCredential: new AdminCredential(adminToken),
    revocationFeedCredential: new RevocationFeedCredential(revocationFeedToken),
  };

  const stopDatabaseWatch = watchDatabase({ db: store.db, logger, registry: metrics.registry, readiness });
  readiness.register('secrets', () => secrets.status());
  readiness.register('signing_key', () => {
    try {
      return { status: 'up', kid: keyRing.signer().kid };
    } catch (error) {
      return { status: 'down', detail: error instanceof Error ? error.message : 'no signing key' };
    }
  });
  gauge(metrics.registry, 'signing_keys_published', 'Signing keys in the JWKS', [], function () {
    this.set(keyRing.jwks().keys.length);
  });

  const purge = setInterval(() => {
    const at = new Date(now());
    void Promise.all([revocations.purgeExpired(at), store.assertionJtis.purgeExpired(at), store.refreshFamilies.purgeExpired(at)])
      .catch((error: unknown) => {
        // An unreachable database is logged once, as the outage; the next purge catches up.
        if (!(error instanceof DatabaseUnavailableError)) logger.warn({ err: error }, 'purge of expired rows failed');
      });
  }, options.purgeIntervalMs ?? 600_000);
  purge.unref();

  const app = await buildPublicApp(context);
  const internalApp = await buildInternalApp(context);
  return {
    app,
    internalApp,
    context,
    adminToken,
    revocationFeedToken,
    async listen() {
      const addresses = {
        public: await app.listen({ host: config.host, port: config.port }),
        internal: await internalApp.listen({ host: config.internalHost, port: config.internalPort }),
      };
      logger.info({ ...addresses, issuer: config.issuer, alg: config.signingAlg, mesh: mesh.mode }, 'token-service listening');
      return addresses;
    },
    async close() {
      clearInterval(purge);
      keyRing.stop();
      revocations.stop();
      clientCache.stop();
      stopDatabaseWatch();
      await Promise.all([app.close(), internalApp.close()]);
      mesh.close();
    },
  };
}
