import { LocalSecretsProvider, type SecretsProvider } from '../../src/secrets/index.js';
import { loadConfig, type LogLevel } from '../../src/platform/index.js';
import type { Store } from '../../src/store/index.js';
import { createTokenService, type TokenService } from '../../src/token-service/index.js';
import { DATABASES } from './databases.js';
import { freePort } from './free-port.js';
import { capturingLogger } from './log-capture.js';
import { randomBytes } from 'node:crypto';

export interface TestClient {
  client_id: string;
  client_secret: string;
  [field: string]: unknown;
}

export interface TokenResponse {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface TestTokenServiceOptions {
  database?: 'pglite' | 'postgres';
  /** Extra environment variables for the token-service configuration. */
  env?: Record<string, string>;
  store?: Store;
  secrets?: SecretsProvider;
  now?: () => number;
  logLevel?: LogLevel;
  keyRingTickMs?: number;
  purgeIntervalMs?: number;
}

/** A real token-service on a real port, with helpers for the calls tests make most. */
export interface TestTokenService {
  /** The public listener: OAuth endpoints, metadata, JWKS. */
  url: string;
  /** The internal listener: admin API, internal issue API, revocation feed. */
  internalUrl: string;
  issuer: string;
  adminToken: string;
  /** What the edges present to the revocation feed. */
  revocationFeedToken: string;
  service: TokenService;
  store: Store;
  secrets: SecretsProvider;
  /** Every log line the service wrote. */
  logs: string[];
  admin(method: string, path: string, body?: unknown): Promise<Response>;
  /** `GET /internal/revocations?<query>` as an edge asks for it, with the feed token. */
  feed(query?: string): Promise<Response>;
  createClient(fields?: Record<string, unknown>): Promise<TestClient>;
  clientCredentials(client: TestClient, params?: Record<string, string>): Promise<TokenResponse>;
  /** An access + refresh pair from the internal issue API. */
  issuePair(subject: string, clientId: string, scope?: string): Promise<TokenResponse>;
  refresh(client: TestClient, refreshToken: string): Promise<Response>;
  form(path: string, params: Record<string, string>, client?: TestClient): Promise<Response>;
  close(): Promise<void>;
}

export function basicAuth(client: { client_id: string; client_secret: string }): string {
  const enc = (s: string) => encodeURIComponent(s);
  return `Basic ${Buffer.from(`${enc(client.client_id)}:${enc(client.client_secret)}`).toString('base64')}`;
}

export async function startTestTokenService(options: TestTokenServiceOptions = {}): Promise<TestTokenService> {
  const port = await freePort();
  // In native mTLS mode both listeners speak TLS.
  const scheme = options.env?.MESH === 'native' ? 'https' : 'http';
  const config = loadConfig({
    TOKEN_SERVICE_PORT: String(port),
    TOKEN_SERVICE_INTERNAL_PORT: '0',
    AUTH_ISSUER: `${scheme}://127.0.0.1:${port}`,
    AUTH_KEY_PUBLISH_LEAD: '0s',
    AUTH_FAILED_AUTH_LIMIT: '1000',
    ...options.env,
  });
  const { logger, lines } = capturingLogger('token-service', options.logLevel);
  const target = DATABASES.find((d) => d.name === (options.database ?? 'pglite'))!;
  const ownStore = options.store === undefined;
  const store = options.store ?? (await target.open());
  const secrets = options.secrets ?? new LocalSecretsProvider(randomBytes(32));
  const service = await createTokenService({
    config: config.tokenService, meshConfig: config.mesh, logger, store, secrets,
    ...(options.now ? { now: options.now } : {}),
    ...(options.keyRingTickMs ? { keyRingTickMs: options.keyRingTickMs } : {}),
    ...(options.purgeIntervalMs ? { purgeIntervalMs: options.purgeIntervalMs } : {}),
  });
  const addresses = await service.listen();
  const url = `${scheme}://127.0.0.1:${port}`;
  const internalUrl = addresses.internal;

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(internalUrl + path, {
      method,
      headers: { authorization: `Bearer ${service.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  const form = (path: string, params: Record<string, string>, client?: TestClient) =>
    fetch(url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(client ? { authorization: basicAuth(client) } : {}) },
      body: new URLSearchParams(params).toString(),
    });

  async function json<T>(response: Response, expected: number): Promise<T> {
    const text = await response.text();
    if (response.status !== expected) throw new Error(`expected ${expected}, got ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  return {
    url,
    internalUrl,
    issuer: config.tokenService.issuer,
    adminToken: service.adminToken,
    revocationFeedToken: service.revocationFeedToken,
    service,
    store,
    secrets,
    logs: lines,
    admin,
    feed: (query = 'since=0') => fetch(`${internalUrl}/internal/revocations?${query}`, { headers: { authorization: `Bearer ${service.revocationFeedToken}` } }),
    form,
    async createClient(fields = {}) {
      return json<TestClient>(
        await admin('POST', '/admin/clients', {
          name: 'test client', scopes: ['read', 'write'], audiences: ['api'], grant_types: ['client_credentials', 'refresh_token'], ...fields,
        }),
        201,
      );
    },
    async clientCredentials(client, params = {}) {
      return json<TokenResponse>(await form('/oauth2/token', { grant_type: 'client_credentials', ...params }, client), 200);
    },
    async issuePair(subject, clientId, scope) {
      return json<TokenResponse>(await admin('POST', '/internal/tokens', { subject, client_id: clientId, ...(scope ? { scope } : {}) }), 200);
    },
    refresh(client, refreshToken) {
      return form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
    },
    async close() {
      await service.close();
      if (ownStore) await store.close();
    },
  };
}
