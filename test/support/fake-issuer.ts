import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import type { EventBus } from '../../src/store/index.js';
import { REVOCATION_CHANNEL, type AccessTokenClaims, type RevocationEvent, type RevocationKind } from '../../src/tokens/index.js';

type Alg = 'ES256' | 'EdDSA' | 'RS256';

export interface IssuerKey {
  kid: string;
  alg: Alg;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export const TEST_AUDIENCE = 'https://api.test';

/** Generates a signing key; `publish: false` keeps it off the JWKS (an attacker's or a future key). */
export async function generateIssuerKey(alg: Alg = 'ES256', kid = `k-${randomUUID().slice(0, 8)}`): Promise<IssuerKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}

export interface SignOptions {
  key?: IssuerKey;
  header?: Record<string, unknown>;
}

/**
 * A stand-in for token-service's edge-facing surface: JWKS, AS metadata and the revocation pull
 * feed, plus signing and revocation helpers. It can stop and start again on the same port, to play
 * token-service going down and coming back.
 */
export class FakeIssuer {
  readonly revocationFeedToken = `feed-${randomUUID()}-${randomUUID()}`;
  readonly keys: IssuerKey[] = [];
  /** Published beside the signing keys as they are: for keys the edge must refuse to trust. */
  readonly extraJwks: Array<Record<string, unknown>> = [];
  /** How often the JWKS was fetched. */
  jwksRequests = 0;
  private readonly events: RevocationEvent[] = [];
  private server: Server | undefined;
  private port = 0;

  private constructor(private readonly bus: EventBus | undefined) {}

  static async start(options: { bus?: EventBus; alg?: Alg } = {}): Promise<FakeIssuer> {
    const issuer = new FakeIssuer(options.bus);
    issuer.keys.push(await generateIssuerKey(options.alg ?? 'ES256'));
    await issuer.listen();
    return issuer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** One listener serves the public and the internal endpoints here. */
  get internalUrl(): string {
    return this.url;
  }

  get issuer(): string {
    return this.url;
  }

  /** Tokens claims as token-service issues them, overridable per test. */
  claims(overrides: Partial<AccessTokenClaims> & Record<string, unknown> = {}): Record<string, unknown> {
    const now = Math.floor(Date.now() / 1000);
    return {
      iss: this.issuer,
      sub: 'user-1',
      aud: TEST_AUDIENCE,
      exp: now + 300,
      iat: now,
      jti: randomUUID(),
      client_id: 'client-1',
      scope: 'read write',
      ...overrides,
    };
  }

  async sign(overrides: Partial<AccessTokenClaims> & Record<string, unknown> = {}, options: SignOptions = {}): Promise<string> {
    const key = options.key ?? this.keys[0]!;
    return new SignJWT(this.claims(overrides))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...options.header })
      .sign(key.privateKey);
  }

  /** Publishes another key on the JWKS (a rotation). */
  async addKey(alg: Alg = 'ES256'): Promise<IssuerKey> {
    const key = await generateIssuerKey(alg);
    this.keys.push(key);
    return key;
  }

  /** Records a revocation in the pull feed and, unless `quiet`, publishes it on the bus. */
  async revoke(kind: RevocationKind, value: string, options: { quiet?: boolean } = {}): Promise<RevocationEvent> {
    const event: RevocationEvent = {
      seq: this.events.length + 1,
      kind,
      value,
      expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
    };
    this.events.push(event);
    if (!options.quiet) await this.bus?.publish(REVOCATION_CHANNEL, event);
    return event;
  }

  /** Stops answering (connections refused), keeping the port for `resume`. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async resume(): Promise<void> {
    await this.listen();
  }

  private listen(): Promise<void> {
    const server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', this.url);
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (url.pathname === '/.well-known/jwks.json') {
        this.jwksRequests += 1;
        return send(200, { keys: [...this.keys.map((k) => k.publicJwk), ...this.extraJwks] });
      }
      if (url.pathname === '/.well-known/oauth-authorization-server') {
        return send(200, { issuer: this.issuer, jwks_uri: `${this.issuer}/.well-known/jwks.json` });
      }
      if (url.pathname === '/internal/revocations') {
        if (request.headers.authorization !== `Bearer ${this.revocationFeedToken}`) return send(401, { error: 'unauthorized' });
        const since = Number(url.searchParams.get('since') ?? 0);
        const limit = Number(url.searchParams.get('limit') ?? 100);
        return send(200, { events: this.events.filter((e) => e.seq > since).slice(0, limit), latestSeq: this.events.length });
      }
      return send(404, { error: 'not_found' });
    });
    this.server = server;
    return new Promise((resolve) => {
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  async close(): Promise<void> {
    await this.stop();
  }
}
