import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { createPrivateKeyJwtClient, generateClientKey, type ClientKey } from './helpers.js';

// The token-service listens on plain http in tests; oauth4webapi refuses that unless told.
const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** What a strict third-party client sees: it knows only the issuer URL and its own credentials. */
describe('a standards-strict client library (oauth4webapi) against the token-service', () => {
  let ts: TestTokenService;
  let as: oauth.AuthorizationServer;

  before(async () => {
    ts = await startTestTokenService();
    const issuer = new URL(ts.issuer);
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  });
  after(() => ts.close());

  async function expectOAuthError(promise: Promise<unknown>, error: string): Promise<void> {
    await assert.rejects(promise, (thrown: unknown) => {
      assert.ok(thrown instanceof oauth.ResponseBodyError, `expected a ResponseBodyError, got ${String(thrown)}`);
      assert.equal(thrown.error, error);
      return true;
    });
  }

  test('discovers the server from /.well-known/oauth-authorization-server (RFC 8414)', () => {
    assert.equal(as.issuer, ts.issuer);
    assert.equal(as.token_endpoint, `${ts.issuer}/oauth2/token`);
    assert.equal(as.introspection_endpoint, `${ts.issuer}/oauth2/introspect`);
    assert.equal(as.revocation_endpoint, `${ts.issuer}/oauth2/revoke`);
    assert.equal(as.jwks_uri, `${ts.issuer}/.well-known/jwks.json`);
    assert.deepEqual([...(as.grant_types_supported ?? [])].sort(), ['client_credentials', 'refresh_token']);
    for (const method of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
      assert.ok(as.token_endpoint_auth_methods_supported?.includes(method), method);
    }
  });

  test('refuses discovery when the metadata names a different issuer', async () => {
    const elsewhere = new URL('http://127.0.0.1:1/');
    const response = await fetch(`${ts.url}/.well-known/oauth-authorization-server`);
    await assert.rejects(oauth.processDiscoveryResponse(elsewhere, response), (error: unknown) => {
      assert.ok(error instanceof oauth.OperationProcessingError);
      assert.equal(error.code, oauth.JSON_ATTRIBUTE_COMPARISON);
      return true;
    });
  });

  test('gets a client_credentials token, introspects it, revokes it, and introspection then says inactive', async () => {
    const created = await ts.createClient({ scopes: ['read', 'write'], audiences: ['https://api.example'] });
    const client: oauth.Client = { client_id: created.client_id };
    const auth = oauth.ClientSecretBasic(created.client_secret);

    const tokens = await oauth.processClientCredentialsResponse(
      as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'read' }, insecure),
    );
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'read');
    assert.equal(tokens.refresh_token, undefined, 'RFC 6749 §4.4.3: no refresh token for client_credentials');
    assert.ok(typeof tokens.expires_in === 'number' && tokens.expires_in > 0);

    // The token verifies against the key set the metadata points to.
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), {
      issuer: as.issuer, audience: 'https://api.example', typ: 'at+jwt',
    });
    assert.equal(payload.client_id, created.client_id);

    const active = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    assert.equal(active.active, true);
    assert.equal(active.client_id, created.client_id);
    assert.equal(active.sub, created.client_id);
    assert.equal(active.scope, 'read');
    assert.equal(active.iss, ts.issuer);
    assert.equal(active.jti, payload.jti);
    assert.equal(active.exp, payload.exp);

    const revoked = await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, tokens.access_token, { ...insecure, additionalParameters: { token_type_hint: 'access_token' } }),
    );
    assert.equal(revoked, undefined);

    const inactive = await oauth.processIntrospectionResponse(
      as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure),
    );
    assert.deepEqual(inactive, { active: false });
  });

  test('a wrong client secret surfaces as invalid_client to the library', async () => {
    const created = await ts.createClient();
    const client: oauth.Client = { client_id: created.client_id };
    const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.ClientSecretBasic(`${created.client_secret}x`), {}, insecure);
    assert.equal(response.status, 401);
    // RFC 6749 §5.2: a failed Basic authentication is a 401 with a Basic challenge, which the
    // library reports as the challenge; the body still carries invalid_client.
    await assert.rejects(oauth.processClientCredentialsResponse(as, client, response), (error: unknown) => {
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, `expected a challenge, got ${String(error)}`);
      assert.equal(error.status, 401);
      assert.deepEqual(error.cause.map((c) => c.scheme), ['basic']);
      return true;
    });
    const body = (await response.json()) as { error: string };
    assert.equal(body.error, 'invalid_client');
  });

  const secretMethods = [
    { method: 'client_secret_basic', auth: (c: TestClient) => oauth.ClientSecretBasic(c.client_secret) },
    { method: 'client_secret_post', auth: (c: TestClient) => oauth.ClientSecretPost(c.client_secret) },
  ] as const;

  for (const { method, auth } of secretMethods) {
    test(`refreshes a pair minted by the internal issue API with ${method}, and the spent refresh token is then refused`, async () => {
      const created = await ts.createClient({ token_endpoint_auth_method: method, grant_types: ['refresh_token'] });
      const client: oauth.Client = { client_id: created.client_id, token_endpoint_auth_method: method };
      await refreshRoundTrip(created.client_id, client, auth(created));
    });
  }

  describe('with private_key_jwt (RFC 7523) client authentication', () => {
    let key: ClientKey;
    let created: TestClient;
    let client: oauth.Client;
    let auth: oauth.ClientAuth;

    before(async () => {
      key = await generateClientKey();
      created = await createPrivateKeyJwtClient(ts, key, { grant_types: ['client_credentials', 'refresh_token'] });
      client = { client_id: created.client_id, token_endpoint_auth_method: 'private_key_jwt' };
      auth = oauth.PrivateKeyJwt({ key: key.privateKey, kid: key.kid });
    });

    test('the client is registered without a secret', () => {
      assert.equal(created.client_secret, undefined);
    });

    test('refreshes a pair minted by the internal issue API, and the spent refresh token is then refused', async () => {
      await refreshRoundTrip(created.client_id, client, auth);
    });

    test('gets, introspects and revokes a client_credentials token', async () => {
      const tokens = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, {}, insecure));
      const introspected = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(introspected.active, true);
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, tokens.access_token, insecure));
      const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, tokens.access_token, insecure));
      assert.equal(after.active, false);
    });

    test('an assertion signed by a key the client did not register is refused as invalid_client', async () => {
      const stranger = await generateClientKey(key.kid);
      const response = await oauth.clientCredentialsGrantRequest(as, client, oauth.PrivateKeyJwt({ key: stranger.privateKey, kid: key.kid }), {}, insecure);
      await expectOAuthError(oauth.processClientCredentialsResponse(as, client, response), 'invalid_client');
    });
  });

  /** Mints a pair for a user, refreshes it through the library twice, then replays the first refresh token. */
  async function refreshRoundTrip(clientId: string, client: oauth.Client, auth: oauth.ClientAuth): Promise<void> {
    const pair = await ts.issuePair('user-42', clientId, 'read write');
    assert.ok(pair.refresh_token);

    const first = await oauth.processRefreshTokenResponse(as, client, await oauth.refreshTokenGrantRequest(as, client, auth, pair.refresh_token, insecure));
    assert.ok(first.refresh_token, 'a refresh grant returns a new refresh token');
    assert.notEqual(first.refresh_token, pair.refresh_token, 'the refresh token rotates');
    assert.equal(first.scope, 'read write');
    const { payload } = await jwtVerify(first.access_token, createRemoteJWKSet(new URL(as.jwks_uri!)), { issuer: as.issuer, typ: 'at+jwt' });
    assert.equal(payload.sub, 'user-42');
    assert.equal(payload.client_id, clientId);

    // Narrowing on refresh (RFC 6749 §6) through the library's additional parameters.
    const second = await oauth.processRefreshTokenResponse(
      as, client, await oauth.refreshTokenGrantRequest(as, client, auth, first.refresh_token!, { ...insecure, additionalParameters: { scope: 'read' } }),
    );
    assert.equal(second.scope, 'read');
    assert.notEqual(second.refresh_token, first.refresh_token);

    const replay = await oauth.refreshTokenGrantRequest(as, client, auth, pair.refresh_token, insecure);
    await expectOAuthError(oauth.processRefreshTokenResponse(as, client, replay), 'invalid_grant');
  }
});
