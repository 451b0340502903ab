import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { basicAuth, startTestTokenService, type TestTokenService, type TokenResponse } from '../support/token-service.js';

/**
 * Runs everything the token-service does with credentials, logging at `trace`, then looks for
 * every credential it saw or made in every log line and in the audit log.
 */

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'];
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('no credential reaches a log line or the audit log', () => {
  let ts: TestTokenService;
  /** Every secret value seen during the run, with what it is (for the failure message). */
  const secrets = new Map<string, string>();
  const remember = (what: string, value: string | undefined) => {
    assert.ok(value !== undefined && value.length >= 16, `${what} looks like a real value`);
    secrets.set(value, what);
    // A JWT's signature segment alone identifies it; look for it too.
    const parts = value.split('.');
    if (parts.length === 3 && parts[2]!.length >= 16) secrets.set(parts[2]!, `${what} (signature segment)`);
  };
  const rememberPair = (what: string, response: TokenResponse) => {
    remember(`${what} access token`, response.access_token);
    if (response.refresh_token !== undefined) remember(`${what} refresh token`, response.refresh_token);
  };
  async function ok(response: Response, status = 200): Promise<Record<string, unknown>> {
    const text = await response.text();
    assert.equal(response.status, status, text);
    return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  }

  before(async () => {
    ts = await startTestTokenService({ logLevel: 'trace' });
    remember('admin token', ts.adminToken);

    // Clients with secrets, shown once.
    const basicClient = await ts.createClient({ client_id: 'redaction-basic' });
    remember('basic client secret', basicClient.client_secret);
    const postClient = await ts.createClient({ client_id: 'redaction-post', token_endpoint_auth_method: 'client_secret_post' });
    remember('post client secret', postClient.client_secret);

    // client_credentials with both secret methods.
    rememberPair('client_credentials (basic)', await ts.clientCredentials(basicClient, { scope: 'read' }));
    const post = await ok(await ts.form('/oauth2/token', { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: postClient.client_secret }));
    rememberPair('client_credentials (post)', post as unknown as TokenResponse);

    // private_key_jwt: the assertion is a credential too, and so is a replayed one.
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    remember('client private key d', privateJwk.d);
    await ok(await ts.admin('POST', '/admin/clients', {
      client_id: 'redaction-pkjwt', name: 'pk', token_endpoint_auth_method: 'private_key_jwt', scopes: ['read'], audiences: ['api'],
      jwks: { keys: [{ ...(await exportJWK(publicKey)), alg: 'ES256' }] },
    }), 201);
    const assertion = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setIssuer('redaction-pkjwt').setSubject('redaction-pkjwt')
      .setAudience(`${ts.issuer}/oauth2/token`).setIssuedAt().setExpirationTime('1m').setJti(randomUUID()).sign(privateKey);
    remember('client assertion', assertion);
    const assertionParams = { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
    rememberPair('private_key_jwt', (await ok(await ts.form('/oauth2/token', assertionParams))) as unknown as TokenResponse);
    await ok(await ts.form('/oauth2/token', assertionParams), 401);

    // Internal issue API, refresh with rotation, reuse of a spent token.
    const pair = await ts.issuePair('user-redaction', basicClient.client_id, 'read write');
    rememberPair('internal issue', pair);
    const refreshed = (await ok(await ts.refresh(basicClient, pair.refresh_token!))) as unknown as TokenResponse;
    rememberPair('refreshed', refreshed);
    await ok(await ts.refresh(basicClient, pair.refresh_token!), 400);
    // The refresh of a revoked family is refused; its token is still a credential that must not be logged.
    await ok(await ts.refresh(basicClient, refreshed.refresh_token!), 400);

    // Introspection and revocation of access and refresh tokens.
    const second = await ts.issuePair('user-redaction-2', basicClient.client_id);
    rememberPair('second internal issue', second);
    const cc = await ts.clientCredentials(basicClient);
    rememberPair('to be revoked', cc);
    for (const token of [cc.access_token, second.access_token, second.refresh_token!]) {
      assert.equal((await ok(await ts.form('/oauth2/introspect', { token }, basicClient))).active, true);
    }
    await ok(await ts.form('/oauth2/revoke', { token: cc.access_token, token_type_hint: 'access_token' }, basicClient));
    await ok(await ts.form('/oauth2/revoke', { token: second.refresh_token!, token_type_hint: 'refresh_token' }, basicClient));
    assert.equal((await ok(await ts.form('/oauth2/introspect', { token: cc.access_token }, basicClient))).active, false);
    // Another client may not revoke it, and says so without echoing it.
    await ok(await ts.form('/oauth2/revoke', { token: second.access_token, client_id: postClient.client_id, client_secret: postClient.client_secret }), 400);
    // And a client authenticating with the wrong method is refused.
    await ok(await ts.form('/oauth2/revoke', { token: second.access_token }, { client_id: postClient.client_id, client_secret: postClient.client_secret }), 401);

    // A token in a query string, where careless clients put it.
    await fetch(`${ts.url}/oauth2/introspect?token=${encodeURIComponent(second.access_token)}&access_token=${encodeURIComponent(second.access_token)}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(basicClient) }, body: `token=${encodeURIComponent(second.access_token)}`,
    });
    await fetch(`${ts.url}/no-such-route?access_token=${encodeURIComponent(second.access_token)}`);

    // Failed authentication: wrong secrets, a near-miss admin token, a Bearer token where Basic belongs.
    const wrongSecret = `${basicClient.client_secret.slice(0, -4)}XXXX`;
    remember('wrong client secret', wrongSecret);
    await ok(await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, { client_id: basicClient.client_id, client_secret: wrongSecret }), 401);
    await ok(await ts.form('/oauth2/token', { grant_type: 'client_credentials', client_id: postClient.client_id, client_secret: wrongSecret }), 401);
    await ok(await fetch(`${ts.url}/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${second.access_token}` }, body: 'grant_type=client_credentials' }), 401);
    const nearMissAdmin = `${ts.adminToken.slice(0, -3)}zzz`;
    remember('near-miss admin token', nearMissAdmin);
    await ok(await fetch(`${ts.internalUrl}/admin/clients`, { headers: { authorization: `Bearer ${nearMissAdmin}` } }), 401);
    await ok(await fetch(`${ts.internalUrl}/internal/tokens`, { method: 'POST', headers: { authorization: `Bearer ${nearMissAdmin}`, 'content-type': 'application/json' }, body: '{}' }), 401);

    // Admin calls: read, update, rotate a secret, revoke a family, revoke everything, keys.
    await ok(await ts.admin('GET', '/admin/clients'));
    await ok(await ts.admin('GET', `/admin/clients/${basicClient.client_id}`));
    await ok(await ts.admin('PATCH', `/admin/clients/${postClient.client_id}`, { name: 'renamed' }));
    const rotated = await ok(await ts.admin('POST', `/admin/clients/${postClient.client_id}/secret`));
    remember('rotated client secret', rotated.client_secret as string);
    const third = await ts.issuePair('user-redaction-3', basicClient.client_id);
    rememberPair('third internal issue', third);
    const family = (await ok(await ts.form('/oauth2/introspect', { token: third.refresh_token! }, basicClient))).sid as string;
    await ok(await ts.admin('POST', `/admin/families/${family}/revoke`));
    await ok(await ts.admin('POST', '/admin/keys/rotate', {}));
    await ok(await ts.admin('POST', '/admin/keys/rotate', { publishLeadSeconds: 0, retireOthersNow: true }));
    rememberPair('after rotation', await ts.clientCredentials(basicClient));
    await ok(await ts.admin('GET', '/admin/keys'));
    await ok(await ts.admin('POST', '/admin/revoke-all'));
    await ok(await ts.feed());
    await ok(await ts.admin('DELETE', `/admin/clients/${postClient.client_id}`));
    assert.equal((await ok(await ts.admin('GET', '/admin/audit/verify'))).ok, true);

    // Key material and server secrets from the secrets provider.
    for (const key of await ts.store.signingKeys.listAll()) {
      const stored = await ts.secrets.read(key.secretRef);
      const jwk = JSON.parse(stored!.jwk!) as Record<string, string>;
      for (const member of PRIVATE_JWK_MEMBERS) if (jwk[member] !== undefined) remember(`signing key ${key.kid} private member ${member}`, jwk[member]);
    }
    remember('client secret pepper', (await ts.secrets.read('token-service/client-secret-pepper'))?.value);
  });
  after(() => ts?.close());

  test('the run was logged at trace level, requests included', () => {
    assert.ok(ts.logs.length > 50, `only ${ts.logs.length} lines`);
    assert.ok(ts.logs.some((l) => l.includes('"path":"/oauth2/token"')), 'request lines are logged');
    assert.ok(ts.logs.some((l) => l.includes('signing key rotated')), 'rotation is logged');
    assert.ok(secrets.size > 30, `collected ${secrets.size} secrets`);
  });

  test('no token, client secret, client assertion, admin token, private key member or pepper appears in any log line', () => {
    const leaks: string[] = [];
    for (const line of ts.logs) {
      for (const [value, what] of secrets) if (line.includes(value)) leaks.push(`${what}: ${line.slice(0, 300)}`);
    }
    assert.deepEqual(leaks, []);
  });

  test('no log line carries a query string', () => {
    assert.ok(!ts.logs.some((l) => /access_token=|[?&]token=/.test(l)), ts.logs.filter((l) => /access_token=|[?&]token=/.test(l)).join('\n'));
  });

  test('no audit entry contains a token or secret value', async () => {
    const entries: unknown[] = [];
    let after = 0;
    for (;;) {
      const page = (await ok(await ts.admin('GET', `/admin/audit?after=${after}&limit=1000`))).entries as Array<{ seq: number }>;
      entries.push(...page);
      if (page.length < 1000) break;
      after = page[page.length - 1]!.seq;
    }
    const text = JSON.stringify(entries);
    for (const event of ['admin.client_created', 'client_auth_failed', 'refresh_token_reuse', 'token_revoked', 'family_revoked', 'key_rotated', 'revoke_all', 'admin_auth_failed']) {
      assert.ok(text.includes(`"${event}"`), `the run produced a ${event} entry`);
    }
    const leaks = [...secrets].filter(([value]) => text.includes(value)).map(([, what]) => what);
    assert.deepEqual(leaks, []);
  });
});
