import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestTokenService, type TestClient, type TestTokenService, type TokenResponse } from '../support/token-service.js';
import { introspect } from './helpers.js';

/**
 * RFC 7662 §4: introspection describes a token only to the client it was issued to, or to a
 * resource server serving its audience (`introspection_audiences`); a refresh token only to its
 * holder. Anyone else gets exactly what an unknown token gets.
 */
describe('introspection answers a client only about its own tokens and the audiences it serves', () => {
  let ts: TestTokenService;
  /** Holds tokens for the audience `api`. */
  let alice: TestClient;
  /** Another client, with tokens of its own for `api`, serving no audience. */
  let bob: TestClient;
  /** The resource server behind `api`. */
  let apiServer: TestClient;
  let alicePair: TokenResponse;
  let aliceAccess: string;

  before(async () => {
    ts = await startTestTokenService();
    alice = await ts.createClient();
    bob = await ts.createClient();
    apiServer = await ts.createClient({ audiences: ['api-server-own'], introspection_audiences: ['api'] });
    alicePair = await ts.issuePair('user-1', alice.client_id);
    aliceAccess = (await ts.clientCredentials(alice)).access_token;
  });
  after(() => ts?.close());

  test('a client introspects its own access and refresh tokens', async () => {
    for (const token of [aliceAccess, alicePair.access_token, alicePair.refresh_token!]) {
      const answer = await introspect(ts, alice, token);
      assert.equal(answer.active, true);
      assert.equal(answer.client_id, alice.client_id);
    }
  });

  test('another client asking about a client\'s access token for an audience it does not serve gets only active:false', async () => {
    for (const token of [aliceAccess, alicePair.access_token]) {
      assert.deepEqual(await introspect(ts, bob, token), { active: false });
    }
  });

  test('another client asking about a client\'s refresh token gets only active:false, even the resource server of its audience', async () => {
    assert.deepEqual(await introspect(ts, bob, alicePair.refresh_token!), { active: false });
    assert.deepEqual(await introspect(ts, apiServer, alicePair.refresh_token!), { active: false });
  });

  test('the resource server serving the token\'s audience introspects it', async () => {
    const answer = await introspect(ts, apiServer, aliceAccess);
    assert.equal(answer.active, true);
    assert.equal(answer.client_id, alice.client_id);
    assert.equal(answer.aud, 'api');
  });

  test('a token revoked or unknown reads the same to the resource server as a token it may not see', async () => {
    const { access_token } = await ts.clientCredentials(alice);
    assert.equal((await ts.form('/oauth2/revoke', { token: access_token }, alice)).status, 200);
    assert.deepEqual(await introspect(ts, apiServer, access_token), { active: false });
    assert.deepEqual(await introspect(ts, apiServer, 'no-such-token'), { active: false });
  });

  test('introspection_audiences set later through the admin API takes effect', async () => {
    const carol = await ts.createClient({ audiences: ['elsewhere'] });
    assert.deepEqual(await introspect(ts, carol, aliceAccess), { active: false });
    const patched = await ts.admin('PATCH', `/admin/clients/${carol.client_id}`, { introspection_audiences: ['api'] });
    assert.equal(patched.status, 200);
    assert.deepEqual(((await patched.json()) as { introspection_audiences: string[] }).introspection_audiences, ['api']);
    assert.equal((await introspect(ts, carol, aliceAccess)).active, true);
  });

  test('a client registered without introspection_audiences serves none', async () => {
    const created = await ts.admin('GET', `/admin/clients/${bob.client_id}`);
    assert.deepEqual(((await created.json()) as { introspection_audiences: string[] }).introspection_audiences, []);
  });
});
