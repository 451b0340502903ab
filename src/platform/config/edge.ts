import type { EnvReader } from './env-reader.js';
import { z } from 'zod';
import { parseByteSize } from './byte-size.js';
import { parseDuration } from './duration.js';
import { listenerUrl, type ListenerScheme } from './listener-url.js';
import { NO_PROXY_TRUST, proxyTrustSchema, type ProxyTrust } from './proxy-trust.js';

/** A token bucket as configured: `capacity` requests, refilled at `capacity` per `windowMs`. */
export interface EdgeRateRule {
  capacity: number;
  windowMs: number;
}

/** The proxies whose forward-auth headers the edge can read; it trusts exactly one of them. */
export const FORWARD_AUTH_PROXIES = ['nginx', 'traefik', 'envoy', 'caddy'] as const;
export type ForwardAuthProxy = (typeof FORWARD_AUTH_PROXIES)[number];

/**
 * The most clock skew an edge may allow. token-service keeps each revocation in its feed this long
 * past the revoked tokens' expiry, since an edge still admits a token until `exp` plus its skew.
 */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

export interface EdgeConfig {
  host: string;
  port: number;
  /** Where the edge reaches token-service's public listener (JWKS); may differ from the issuer. */
  tokenServiceUrl: string;
  /** token-service's internal listener (revocation feed), guarded by mesh identity. */
  tokenServiceInternalUrl: string;
  /** The exact `iss` every access token must carry. */
  issuer: string;
  jwksUrl: string;
  /** YAML route table; unset means no routes (the service wiring may pass routes itself). */
  routesFile: string | undefined;
  clockSkewMs: number;
  maxTokenBytes: number;
  jwksRefreshIntervalMs: number;
  /** How long the last good key set keeps serving while token-service cannot be reached. */
  jwksMaxStaleMs: number;
  /** An unknown `kid` triggers a JWKS refresh at most this often. */
  kidMissMinIntervalMs: number;
  tokenServiceTimeoutMs: number;
  /** Consecutive token-service failures that open the circuit breaker. */
  breakerFailureThreshold: number;
  /** How long the breaker stays open before one trial call. */
  breakerResetMs: number;
  /** Safety-net pull of the revocation feed, since bus delivery is at most once. */
  revocationPollIntervalMs: number;
  /**
   * Bearer credential for token-service's revocation feed (beside the mesh identity); it opens
   * the feed and nothing else. Unset: the service wiring supplies it (in one process with
   * token-service, or read from Vault).
   */
  revocationFeedToken: string | undefined;
  /** Per client IP; undefined disables. */
  rateLimitPerIp: EdgeRateRule | undefined;
  /** Per client and subject; undefined disables. */
  rateLimitPerSubject: EdgeRateRule | undefined;
  /** Verified tokens kept to skip signature checks on repeats; 0 disables. */
  verifiedCacheSize: number;
  /** Default upstream timeout for routes that do not set one. */
  upstreamTimeoutMs: number;
  upstreamConnections: number;
  /** A client must send its request headers within this (slowloris). */
  requestHeadersTimeoutMs: number;
  /** The whole request, body included, must arrive within this: a slow body holds an upstream connection. */
  requestTimeoutMs: number;
  /** Request body cap in proxy mode for routes that set none. */
  maxBodyBytes: number;
  /** The proxies in front whose X-Forwarded-For names the client (per-IP limit, logs, upstream headers). */
  trustProxy: ProxyTrust;
  /** The one proxy whose headers say which request forward-auth judges; the others' are refused. */
  forwardAuthProxy: ForwardAuthProxy;
  /** Forward client headers whose names contain `_` (never an identity header's underscore spelling). */
  allowUnderscoreHeaders: boolean;
}

const RATE_RULE = /^\s*(\d+)\s*\/\s*(\S+)\s*$/;

function readRateRule(env: EnvReader, name: string, fallback: string): EdgeRateRule | undefined {
  const text = env.string(name, fallback);
  if (/^(off|0|none)$/i.test(text)) return undefined;
  const match = RATE_RULE.exec(text);
  const capacity = match ? Number(match[1]) : NaN;
  const windowMs = match ? parseDuration(match[2]!) : undefined;
  if (!match || capacity < 1 || windowMs === undefined || windowMs < 1) {
    env.fail(name, `must be <requests>/<duration> such as 600/1m, or off (got ${JSON.stringify(text)})`);
    return undefined;
  }
  return { capacity, windowMs };
}

/** The URL of a listener token-service opens itself; a bad port is reported by its own section. */
function localAddress(scheme: ListenerScheme, host: string, port: string | undefined, fallbackPort: string): string {
  const usablePort = port !== undefined && /^\d{1,5}$/.test(port) && Number(port) <= 65535 ? port : fallbackPort;
  return listenerUrl(scheme, host, usablePort);
}

const BYTE_SIZE = z.string().transform((text, context) => {
  const bytes = parseByteSize(text);
  if (bytes === undefined) context.addIssue({ code: 'custom', message: 'must be a size such as 512kb, 1mb or 10mb' });
  return bytes ?? 0;
});

/** Headers must fit within the whole-request limit: Node's HTTP server refuses the pair otherwise. */
function readRequestTimeouts(env: EnvReader): { requestHeadersTimeoutMs: number; requestTimeoutMs: number } {
  const requestHeadersTimeoutMs = env.duration('EDGE_REQUEST_HEADERS_TIMEOUT', '10s', { minMs: 100 });
  const requestTimeoutMs = env.duration('EDGE_REQUEST_TIMEOUT', '30s', { minMs: 100 });
  if (requestHeadersTimeoutMs > requestTimeoutMs) env.fail('EDGE_REQUEST_HEADERS_TIMEOUT', 'must not exceed EDGE_REQUEST_TIMEOUT');
  return { requestHeadersTimeoutMs, requestTimeoutMs };
}

/** `scheme`: how token-service's listeners serve (`https` under native mTLS), for the default URLs and issuer. */
export function readEdgeConfig(env: EnvReader, scheme: ListenerScheme = 'http'): EdgeConfig {
  // By default token-service runs beside the edge: its own listen addresses (validated in its section).
  const tokenServiceHost = env.raw('TOKEN_SERVICE_HOST') ?? '127.0.0.1';
  const tokenServiceUrl = env.url('EDGE_TOKEN_SERVICE_URL', localAddress(scheme, tokenServiceHost, env.raw('TOKEN_SERVICE_PORT'), '8080')) ?? '';
  const tokenServiceInternalUrl = env.url(
    'EDGE_TOKEN_SERVICE_INTERNAL_URL',
    localAddress(scheme, env.raw('TOKEN_SERVICE_INTERNAL_HOST') ?? tokenServiceHost, env.raw('TOKEN_SERVICE_INTERNAL_PORT'), '8443'),
  ) ?? '';
  // The issuer defaults the way token-service's does, so one AUTH_ISSUER serves both services.
  const issuer = env.url('EDGE_ISSUER', env.raw('AUTH_ISSUER') ?? tokenServiceUrl) ?? '';
  // The feed no longer takes the admin token: left set, the edge would start and never sync.
  if (env.raw('EDGE_ADMIN_TOKEN') !== undefined) {
    env.fail('EDGE_ADMIN_TOKEN', 'is no longer read: the revocation feed takes its own credential; set EDGE_REVOCATION_FEED_TOKEN (docs/configuration.md)');
  }
  return {
    host: env.string('EDGE_HOST', '127.0.0.1'),
    port: env.int('EDGE_PORT', 8081, { min: 0, max: 65535 }),
    tokenServiceUrl,
    tokenServiceInternalUrl,
    issuer,
    jwksUrl: env.url('EDGE_JWKS_URL', `${tokenServiceUrl}/.well-known/jwks.json`) ?? '',
    routesFile: env.string('EDGE_ROUTES_FILE'),
    clockSkewMs: env.duration('EDGE_CLOCK_SKEW', '30s', { maxMs: MAX_CLOCK_SKEW_MS }),
    maxTokenBytes: env.int('EDGE_MAX_TOKEN_BYTES', 8192, { min: 512, max: 65_536 }),
    jwksRefreshIntervalMs: env.duration('EDGE_JWKS_REFRESH_INTERVAL', '5m', { minMs: 1000 }),
    jwksMaxStaleMs: env.duration('EDGE_JWKS_MAX_STALE', '6h', { minMs: 1000 }),
    kidMissMinIntervalMs: env.duration('EDGE_KID_MISS_MIN_INTERVAL', '5s'),
    tokenServiceTimeoutMs: env.duration('EDGE_TOKEN_SERVICE_TIMEOUT', '2s', { minMs: 10 }),
    breakerFailureThreshold: env.int('EDGE_BREAKER_FAILURES', 5, { min: 1 }),
    breakerResetMs: env.duration('EDGE_BREAKER_RESET', '10s', { minMs: 10 }),
    revocationPollIntervalMs: env.duration('EDGE_REVOCATION_POLL_INTERVAL', '30s', { minMs: 100 }),
    revocationFeedToken: env.secret('EDGE_REVOCATION_FEED_TOKEN', 32) ?? env.raw('AUTH_REVOCATION_FEED_TOKEN'),
    rateLimitPerIp: readRateRule(env, 'EDGE_RATE_LIMIT_IP', '1200/1m'),
    rateLimitPerSubject: readRateRule(env, 'EDGE_RATE_LIMIT_SUBJECT', '600/1m'),
    verifiedCacheSize: env.int('EDGE_VERIFIED_CACHE_SIZE', 10_000, { min: 0, max: 1_000_000 }),
    upstreamTimeoutMs: env.duration('EDGE_UPSTREAM_TIMEOUT', '30s', { minMs: 10 }),
    upstreamConnections: env.int('EDGE_UPSTREAM_CONNECTIONS', 64, { min: 1, max: 10_000 }),
    ...readRequestTimeouts(env),
    maxBodyBytes: env.parsed('EDGE_MAX_BODY_SIZE', BYTE_SIZE, 10 * 1024 ** 2),
    trustProxy: env.parsed('EDGE_TRUST_PROXY', proxyTrustSchema, NO_PROXY_TRUST),
    // nginx: the proxy the documentation, the tested template and the benchmark use.
    forwardAuthProxy: env.oneOf('EDGE_FORWARD_AUTH_PROXY', FORWARD_AUTH_PROXIES, 'nginx'),
    allowUnderscoreHeaders: env.bool('EDGE_ALLOW_UNDERSCORE_HEADERS', false),
  };
}
