import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { TestClient, TestTokenService } from '../support/token-service.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A client key pair for private_key_jwt: the public JWK to register, the private key to sign with. */
export interface ClientKey {
  kid: string;
  alg: 'ES256';
  privateKey: CryptoKey;
  publicJwk: Record<string, unknown>;
}

export async function generateClientKey(kid = `client-key-${randomUUID()}`): Promise<ClientKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  return { kid, alg: 'ES256', privateKey, publicJwk };
}

/** Registers a private_key_jwt client holding `key`'s public half. */
export async function createPrivateKeyJwtClient(ts: TestTokenService, key: ClientKey, fields: Record<string, unknown> = {}): Promise<TestClient> {
  return ts.createClient({ token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] }, ...fields });
}

/** A signed client assertion (RFC 7523 §3); `claims` override or add to the well-formed defaults. */
export async function clientAssertion(
  ts: TestTokenService,
  clientId: string,
  key: ClientKey,
  claims: JWTPayload = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: clientId, sub: clientId, aud: ts.issuer, jti: randomUUID(), iat: now, exp: now + 60, ...claims,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .sign(key.privateKey);
}

/** POSTs a form with a client assertion instead of Basic credentials. */
export function formWithAssertion(ts: TestTokenService, path: string, params: Record<string, string>, assertion: string): Promise<Response> {
  return ts.form(path, { ...params, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion });
}

/** The OAuth error body (RFC 6749 §5.2) of a refusal. */
export async function oauthError(response: Response): Promise<{ status: number; error: string; error_description?: string }> {
  const body = (await response.json()) as { error: string; error_description?: string };
  return { status: response.status, ...body };
}

export async function introspect(ts: TestTokenService, client: TestClient, token: string): Promise<Record<string, unknown>> {
  const response = await ts.form('/oauth2/introspect', { token }, client);
  if (response.status !== 200) throw new Error(`introspection answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** Polls `check` until it holds, for state that settles asynchronously (bus messages, timers). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The admin and internal APIs listen on their own (internal) listener. */
export function internalBase(ts: TestTokenService): string {
  return ts.internalUrl;
}
