import type { EnvReader } from './env-reader.js';
import { listenerUrl, type ListenerScheme } from './listener-url.js';
import { NO_PROXY_TRUST, proxyTrustSchema, type ProxyTrust } from './proxy-trust.js';

export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

export interface TokenServiceConfig {
  host: string;
  port: number;
  /** The internal listener: admin API, internal issue API, revocation feed (mesh-authenticated). */
  internalHost: string;
  internalPort: number;
  issuer: string;
  signingAlg: SigningAlgorithm;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  /** 0 disables scheduled rotation. */
  keyRotationIntervalMs: number;
  keyPublishLeadMs: number;
  keyRetentionMs: number;
  adminToken: string | undefined;
  /** The edges' bearer for the revocation feed, and nothing else; unset: generated and stored. */
  revocationFeedToken: string | undefined;
  /** Failed authentications per client and address within the window before they get 429. */
  failedAuthLimit: number;
  /** Failed client authentications per address, across clients, within the window. */
  failedAuthAddressLimit: number;
  failedAuthWindowMs: number;
  /** The proxies in front of the public listener whose X-Forwarded-For names the client. */
  trustProxy: ProxyTrust;
  clientAssertionMaxAgeMs: number;
  bodyLimitBytes: number;
  demoClient: boolean;
}

/** `scheme`: how the listeners serve (`https` under native mTLS), so the default issuer is the URL clients reach. */
export function readTokenServiceConfig(env: EnvReader, scheme: ListenerScheme = 'http'): TokenServiceConfig {
  const host = env.string('TOKEN_SERVICE_HOST', '127.0.0.1');
  const port = env.int('TOKEN_SERVICE_PORT', 8080, { min: 0, max: 65535 });
  const accessTokenTtlMs = env.duration('AUTH_ACCESS_TOKEN_TTL', '10m', { minMs: 1000 });
  const keyRetentionMs = env.duration('AUTH_KEY_RETENTION', '24h');
  if (keyRetentionMs < accessTokenTtlMs) {
    env.fail('AUTH_KEY_RETENTION', 'must be at least AUTH_ACCESS_TOKEN_TTL, or tokens would outlive their key');
  }
  const rotation = env.string('AUTH_KEY_ROTATION_INTERVAL', '30d');
  const issuer = env.url('AUTH_ISSUER', listenerUrl(scheme, host, port)) ?? '';
  // RFC 8414 §2: the issuer is a URL with no query or fragment (clients compare it byte for byte).
  if (issuer !== '' && (new URL(issuer).search !== '' || new URL(issuer).hash !== '' || issuer.endsWith('?') || issuer.endsWith('#'))) {
    env.fail('AUTH_ISSUER', 'must have no query or fragment (RFC 8414)');
  }
  const adminToken = env.secret('AUTH_ADMIN_TOKEN', 32);
  const revocationFeedToken = env.secret('AUTH_REVOCATION_FEED_TOKEN', 32);
  // The feed credential sits on every edge; were it the admin token, every edge would hold admin.
  if (revocationFeedToken !== undefined && revocationFeedToken === adminToken) {
    env.fail('AUTH_REVOCATION_FEED_TOKEN', 'must differ from AUTH_ADMIN_TOKEN (the edges hold it; it must not open the admin API)');
  }
  return {
    host,
    port,
    internalHost: env.string('TOKEN_SERVICE_INTERNAL_HOST', host),
    internalPort: env.int('TOKEN_SERVICE_INTERNAL_PORT', 8443, { min: 0, max: 65535 }),
    issuer,
    signingAlg: env.oneOf('AUTH_SIGNING_ALG', SIGNING_ALGORITHMS, 'ES256'),
    accessTokenTtlMs,
    refreshTokenTtlMs: env.duration('AUTH_REFRESH_TOKEN_TTL', '30d', { minMs: 1000 }),
    keyRotationIntervalMs: rotation === 'off' ? 0 : env.duration('AUTH_KEY_ROTATION_INTERVAL', '30d', { minMs: 1000 }),
    keyPublishLeadMs: env.duration('AUTH_KEY_PUBLISH_LEAD', '1h'),
    keyRetentionMs,
    adminToken,
    revocationFeedToken,
    failedAuthLimit: env.int('AUTH_FAILED_AUTH_LIMIT', 10, { min: 1 }),
    failedAuthAddressLimit: env.int('AUTH_FAILED_AUTH_ADDRESS_LIMIT', 100, { min: 1 }),
    failedAuthWindowMs: env.duration('AUTH_FAILED_AUTH_WINDOW', '1m', { minMs: 1000 }),
    clientAssertionMaxAgeMs: env.duration('AUTH_CLIENT_ASSERTION_MAX_AGE', '5m', { minMs: 1000 }),
    bodyLimitBytes: env.int('TOKEN_SERVICE_BODY_LIMIT', 65_536, { min: 1024 }),
    demoClient: env.bool('AUTH_DEMO_CLIENT', true),
    trustProxy: env.parsed('TOKEN_SERVICE_TRUST_PROXY', proxyTrustSchema, NO_PROXY_TRUST),
  };
}
