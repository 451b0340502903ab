import assert from 'node:assert/strict';
import { createHash, createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { base64url, SignJWT } from 'jose';
import { requestFrom } from '../support/from-address.js';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import {
  clientAssertion, CLIENT_ASSERTION_TYPE, createPrivateKeyJwtClient, formWithAssertion, generateClientKey, oauthError, type ClientKey,
} from './helpers.js';

const CC = { grant_type: 'client_credentials' };

async function expectInvalidClient(response: Response, challenge: boolean): Promise<string | undefined> {
  const body = await oauthError(response);
  assert.equal(body.status, 401, JSON.stringify(body));
  assert.equal(body.error, 'invalid_client');
  const header = response.headers.get('www-authenticate');
  if (challenge) assert.match(header ?? '', /^Basic /, 'a failed Basic authentication answers with a Basic challenge (RFC 6749 §5.2)');
  return body.error_description;
}

describe('client authentication at the token endpoint', () => {
  let ts: TestTokenService;
  let basicClient: TestClient;
  let postClient: TestClient;

  before(async () => {
    ts = await startTestTokenService();
    basicClient = await ts.createClient();
    postClient = await ts.createClient({ token_endpoint_auth_method: 'client_secret_post' });
  });
  after(() => ts.close());

  const post = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(params).toString(),
    });

  describe('client secrets', () => {
    test('the right secret with the registered method gets a token (the baseline)', async () => {
      assert.equal((await ts.form('/oauth2/token', CC, basicClient)).status, 200);
      assert.equal((await post({ ...CC, client_id: postClient.client_id, client_secret: postClient.client_secret })).status, 200);
    });

    test('a wrong secret is 401 invalid_client with a Basic challenge', async () => {
      await expectInvalidClient(await ts.form('/oauth2/token', CC, { ...basicClient, client_secret: `${basicClient.client_secret.slice(0, -1)}A` }), true);
    });

    test('an unknown client is 401 invalid_client with a Basic challenge, indistinguishable from a wrong secret', async () => {
      const wrongSecret = await expectInvalidClient(await ts.form('/oauth2/token', CC, { ...basicClient, client_secret: 'nope' }), true);
      const unknown = await expectInvalidClient(await ts.form('/oauth2/token', CC, { client_id: 'no-such-client', client_secret: 'nope' }), true);
      assert.equal(unknown, wrongSecret, 'the description does not reveal which clients exist');
    });

    test('an empty secret and a secret for another client are refused', async () => {
      await expectInvalidClient(await post(CC, { authorization: `Basic ${Buffer.from(`${basicClient.client_id}:`).toString('base64')}` }), true);
      await expectInvalidClient(await ts.form('/oauth2/token', CC, { client_id: basicClient.client_id, client_secret: postClient.client_secret }), true);
    });

    test('malformed Basic credentials are 401 invalid_client, never a 5xx', async () => {
      for (const authorization of ['Basic !!!not-base64!!!', 'Basic ', `Basic ${Buffer.from('no-colon').toString('base64')}`, `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`]) {
        const response = await post(CC, { authorization });
        assert.equal(response.status, 401, authorization);
        assert.equal((await oauthError(response)).error, 'invalid_client');
      }
    });

    test('a wrong client_secret_post secret is 401 invalid_client', async () => {
      await expectInvalidClient(await post({ ...CC, client_id: postClient.client_id, client_secret: 'wrong' }), false);
    });

    test('no client authentication at all is 401 invalid_client', async () => {
      await expectInvalidClient(await post(CC), false);
      await expectInvalidClient(await post({ ...CC, client_id: postClient.client_id }), false);
    });

    test('two authentication methods at once are 400 invalid_request (RFC 6749 §2.3)', async () => {
      const both = await post(
        { ...CC, client_id: basicClient.client_id, client_secret: basicClient.client_secret },
        { authorization: basicAuth(basicClient) },
      );
      assert.equal(both.status, 400);
      assert.equal((await oauthError(both)).error, 'invalid_request');

      const withAssertion = await post(
        { ...CC, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a.b.c' },
        { authorization: basicAuth(basicClient) },
      );
      assert.equal(withAssertion.status, 400);
      assert.equal((await oauthError(withAssertion)).error, 'invalid_request');

      const postAndAssertion = await post({
        ...CC, client_id: postClient.client_id, client_secret: postClient.client_secret, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: 'a.b.c',
      });
      assert.equal(postAndAssertion.status, 400);
      assert.equal((await oauthError(postAndAssertion)).error, 'invalid_request');
    });

    test('a client_id in the body that differs from the Basic credentials is refused', async () => {
      const response = await post({ ...CC, client_id: postClient.client_id }, { authorization: basicAuth(basicClient) });
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'invalid_request');
    });

    test('a method other than the registered one is refused, even with the right secret', async () => {
      // Registered for client_secret_basic, presented in the body.
      await expectInvalidClient(await post({ ...CC, client_id: basicClient.client_id, client_secret: basicClient.client_secret }), false);
      // Registered for client_secret_post, presented as Basic.
      await expectInvalidClient(await ts.form('/oauth2/token', CC, postClient), true);
    });

    test('a secret client cannot authenticate with a client assertion', async () => {
      const key = await generateClientKey();
      const assertion = await clientAssertion(ts, basicClient.client_id, key);
      await expectInvalidClient(await formWithAssertion(ts, '/oauth2/token', CC, assertion), false);
    });

    test('a failed authentication is audited without the presented secret', async () => {
      const guess = `guess-${randomUUID()}`;
      await expectInvalidClient(await ts.form('/oauth2/token', CC, { ...basicClient, client_secret: guess }), true);
      const { entries } = (await (await ts.admin('GET', '/admin/audit?event=client_auth_failed&limit=1000')).json()) as { entries: Array<Record<string, unknown>> };
      assert.ok(entries.some((e) => e.clientId === basicClient.client_id && e.outcome === 'failure'));
      assert.ok(!JSON.stringify(entries).includes(guess), 'the guessed secret is not in the audit log');
    });

    test('a disabled client is refused even with the right secret', async () => {
      const client = await ts.createClient();
      assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: true })).status, 200);
      const response = await ts.form('/oauth2/token', CC, client);
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'unauthorized_client');
    });
  });

  describe('client secrets at rest', () => {
    test('are generated with at least 256 bits and stored only as an HMAC-SHA-256 under the server pepper', async () => {
      const client = await ts.createClient();
      assert.ok(Buffer.from(client.client_secret, 'base64url').length >= 32, 'at least 256 bits of randomness');
      const rows = await ts.store.db.query<{ secret_hash: Uint8Array }>('SELECT secret_hash FROM clients WHERE client_id = $1', [client.client_id]);
      const stored = Buffer.from(rows[0]!.secret_hash);
      assert.equal(stored.length, 32);
      assert.ok(!stored.equals(Buffer.from(client.client_secret, 'utf8').subarray(0, 32)));
      assert.ok(!stored.toString('latin1').includes(client.client_secret));
      assert.ok(!stored.equals(createHash('sha256').update(client.client_secret).digest()), 'not a bare, unkeyed hash');
      const pepper = (await ts.secrets.read('token-service/client-secret-pepper'))?.value;
      assert.ok(pepper !== undefined);
      assert.ok(stored.equals(createHmac('sha256', Buffer.from(pepper, 'base64url')).update(client.client_secret).digest()));

      // Nowhere else in the row either.
      const row = await ts.store.db.query('SELECT * FROM clients WHERE client_id = $1', [client.client_id]);
      assert.ok(!JSON.stringify(row).includes(client.client_secret));
    });

    test('are shown once: reading or listing the client never returns the secret', async () => {
      const client = await ts.createClient();
      const read = await ts.admin('GET', `/admin/clients/${client.client_id}`);
      assert.equal(read.status, 200);
      const readText = await read.text();
      assert.equal((JSON.parse(readText) as Record<string, unknown>).client_secret, undefined);
      assert.ok(!readText.includes(client.client_secret));
      const listText = await (await ts.admin('GET', '/admin/clients')).text();
      assert.ok(!listText.includes(client.client_secret));
      assert.ok(!listText.includes('client_secret"'));
    });

    test('rotating a secret shows the new one once and the old one stops working', async () => {
      const client = await ts.createClient();
      const rotated = (await (await ts.admin('POST', `/admin/clients/${client.client_id}/secret`)).json()) as TestClient;
      assert.ok(rotated.client_secret && rotated.client_secret !== client.client_secret);
      await expectInvalidClient(await ts.form('/oauth2/token', CC, client), true);
      assert.equal((await ts.form('/oauth2/token', CC, rotated)).status, 200);
    });
  });

  describe('private_key_jwt (RFC 7523)', () => {
    let key: ClientKey;
    let client: TestClient;

    before(async () => {
      key = await generateClientKey();
      client = await createPrivateKeyJwtClient(ts, key);
    });

    const token = (assertion: string, extra: Record<string, string> = {}) => formWithAssertion(ts, '/oauth2/token', { ...CC, ...extra }, assertion);

    test('a well-formed assertion gets a token, with aud the issuer or the token endpoint', async () => {
      assert.equal((await token(await clientAssertion(ts, client.client_id, key))).status, 200);
      assert.equal((await token(await clientAssertion(ts, client.client_id, key, { aud: `${ts.issuer}/oauth2/token` }))).status, 200);
      assert.equal((await token(await clientAssertion(ts, client.client_id, key), { client_id: client.client_id })).status, 200);
    });

    test('a replayed assertion (same jti) is refused', async () => {
      const assertion = await clientAssertion(ts, client.client_id, key);
      assert.equal((await token(assertion)).status, 200);
      await expectInvalidClient(await token(assertion), false);
      // Replaying at another endpoint is a replay too.
      await expectInvalidClient(await formWithAssertion(ts, '/oauth2/introspect', { token: 'x' }, assertion), false);
    });

    test('a fresh assertion that reuses a jti is refused', async () => {
      const jti = randomUUID();
      assert.equal((await token(await clientAssertion(ts, client.client_id, key, { jti }))).status, 200);
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, key, { jti })), false);
    });

    test('an expired assertion is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, key, { iat: now - 600, exp: now - 120 })), false);
    });

    test('an assertion older than the maximum age is refused even if it has not expired', async () => {
      const now = Math.floor(Date.now() / 1000);
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, key, { iat: now - 3600, exp: now + 3600 })), false);
    });

    test('an assertion without jti or exp is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      const noJti = await new SignJWT({ iss: client.client_id, sub: client.client_id, aud: ts.issuer, iat: now, exp: now + 60 })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
      await expectInvalidClient(await token(noJti), false);
      const noExp = await new SignJWT({ iss: client.client_id, sub: client.client_id, aud: ts.issuer, iat: now, jti: randomUUID() })
        .setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
      await expectInvalidClient(await token(noExp), false);
    });

    test('an assertion for the wrong audience is refused', async () => {
      for (const aud of ['https://other-server.example', `${ts.issuer}/oauth2/introspect`, `${ts.issuer}/`]) {
        await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, key, { aud })), false);
      }
    });

    test('an HMAC (HS256) assertion is refused, even keyed with the registered public key', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = { iss: client.client_id, sub: client.client_id, aud: ts.issuer, jti: randomUUID(), iat: now, exp: now + 60 };
      for (const secret of [JSON.stringify(key.publicJwk), client.client_id, 'secret']) {
        const assertion = await new SignJWT({ ...claims, jti: randomUUID() })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .sign(new TextEncoder().encode(secret));
        await expectInvalidClient(await token(assertion), false);
      }
    });

    test('an unsigned (alg none) assertion is refused', async () => {
      const now = Math.floor(Date.now() / 1000);
      const encode = (value: unknown) => base64url.encode(JSON.stringify(value));
      const assertion = `${encode({ alg: 'none', kid: key.kid })}.${encode({ iss: client.client_id, sub: client.client_id, aud: ts.issuer, jti: randomUUID(), iat: now, exp: now + 60 })}.`;
      await expectInvalidClient(await token(assertion), false);
    });

    test('an assertion signed by another key is refused, whatever kid it claims', async () => {
      const attacker = await generateClientKey(key.kid);
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, attacker)), false);
      const anonymous = await generateClientKey('attacker-key');
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, anonymous)), false);
    });

    test('an assertion with a tampered payload is refused', async () => {
      const [header, , signature] = (await clientAssertion(ts, client.client_id, key)).split('.');
      const now = Math.floor(Date.now() / 1000);
      const forged = base64url.encode(JSON.stringify({ iss: client.client_id, sub: client.client_id, aud: ts.issuer, jti: randomUUID(), iat: now, exp: now + 3600 }));
      await expectInvalidClient(await token(`${header}.${forged}.${signature}`), false);
    });

    test("one client cannot use its own key to authenticate as another client", async () => {
      const otherKey = await generateClientKey();
      const other = await createPrivateKeyJwtClient(ts, otherKey);
      // iss/sub name the victim, signed with the attacker's own registered key.
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, otherKey)), false);
      // The attacker's own assertion, with the victim's client_id in the body.
      await expectInvalidClient(await token(await clientAssertion(ts, other.client_id, otherKey), { client_id: client.client_id }), false);
      // iss and sub must both be the client.
      await expectInvalidClient(await token(await clientAssertion(ts, client.client_id, key, { sub: other.client_id })), false);
    });

    test('replacing the registered keys takes effect at once: the old key is refused, the new one accepted', async () => {
      const oldKey = await generateClientKey();
      const rotating = await createPrivateKeyJwtClient(ts, oldKey);
      assert.equal((await token(await clientAssertion(ts, rotating.client_id, oldKey))).status, 200);
      const newKey = await generateClientKey();
      assert.equal((await ts.admin('PATCH', `/admin/clients/${rotating.client_id}`, { jwks: { keys: [newKey.publicJwk] } })).status, 200);
      await expectInvalidClient(await token(await clientAssertion(ts, rotating.client_id, oldKey)), false);
      assert.equal((await token(await clientAssertion(ts, rotating.client_id, newKey))).status, 200);
    });

    test('a wrong client_assertion_type is 400 invalid_request', async () => {
      const response = await ts.form('/oauth2/token', {
        ...CC, client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer', client_assertion: await clientAssertion(ts, client.client_id, key),
      });
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'invalid_request');
    });

    test('a garbage assertion is 401 invalid_client, never a 5xx', async () => {
      for (const assertion of ['x', 'a.b.c', `${base64url.encode('{')}.${base64url.encode('{')}.x`, `e30.${base64url.encode(JSON.stringify({ iss: 42 }))}.x`]) {
        const response = await token(assertion);
        assert.equal(response.status, 401, assertion);
        assert.equal((await oauthError(response)).error, 'invalid_client');
      }
    });
  });
});

/** A token request from a chosen loopback source address, so tests can play clients at different addresses. */
async function postFrom(localAddress: string, url: string, params: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const response = await requestFrom(localAddress, url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, headers: response.headers, body: response.text ? (JSON.parse(response.text) as Record<string, unknown>) : {} };
}

describe('failed client authentication is throttled per client and address, never locking out the right credential (limit 3 per client and address, 5 per address)', () => {
  let ts: TestTokenService;
  let tokenUrl: string;

  before(async () => {
    ts = await startTestTokenService({ env: { AUTH_FAILED_AUTH_LIMIT: '3', AUTH_FAILED_AUTH_ADDRESS_LIMIT: '5', AUTH_FAILED_AUTH_WINDOW: '1m' } });
    tokenUrl = `${ts.url}/oauth2/token`;
  });
  after(() => ts.close());

  const wrong = (client: TestClient) => ({ authorization: basicAuth({ ...client, client_secret: 'wrong-secret' }) });
  const right = (client: TestClient) => ({ authorization: basicAuth(client) });

  function assertLimited(response: { status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }): void {
    assert.equal(response.status, 429, JSON.stringify(response.body));
    const retryAfter = Number(response.headers['retry-after']);
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${String(response.headers['retry-after'])}`);
    assert.equal(response.body.error, 'rate_limited');
  }

  test('failing with a client\'s id from other addresses does not stop its right secret, nor its own failures\' 401', async () => {
    const victim = await ts.createClient();
    for (let i = 0; i < 3; i += 1) assert.equal((await postFrom('127.0.0.2', tokenUrl, CC, wrong(victim))).status, 401);
    assertLimited(await postFrom('127.0.0.2', tokenUrl, CC, wrong(victim)));
    for (const ip of ['127.0.0.3', '127.0.0.4']) assert.equal((await postFrom(ip, tokenUrl, CC, wrong(victim))).status, 401);
    // Before, the client's own bucket was empty now and the right secret got 429 from anywhere.
    assert.equal((await postFrom('127.0.0.5', tokenUrl, CC, right(victim))).status, 200);
    assert.equal((await postFrom('127.0.0.5', tokenUrl, CC, wrong(victim))).status, 401, 'a fresh address has its own budget');
  });

  test('an address guessing at one client gets 429 with Retry-After past its budget, yet the right secret from it still gets a token', async () => {
    const client = await ts.createClient();
    for (let i = 0; i < 3; i += 1) assert.equal((await postFrom('127.0.0.6', tokenUrl, CC, wrong(client))).status, 401);
    assertLimited(await postFrom('127.0.0.6', tokenUrl, CC, wrong(client)));
    assert.equal((await postFrom('127.0.0.6', tokenUrl, CC, right(client))).status, 200);
    assertLimited(await postFrom('127.0.0.6', tokenUrl, CC, wrong(client)));
  });

  test('an address trying many client ids is throttled per address, across clients, and only that address', async () => {
    const client = await ts.createClient();
    for (const clientId of ['guess-a', 'guess-b', 'guess-c', 'guess-d', 'guess-e']) {
      assert.equal((await postFrom('127.0.0.7', tokenUrl, CC, { authorization: basicAuth({ client_id: clientId, client_secret: 'x' }) })).status, 401);
    }
    assertLimited(await postFrom('127.0.0.7', tokenUrl, CC, { authorization: basicAuth({ client_id: 'guess-f', client_secret: 'x' }) }));
    assert.equal((await postFrom('127.0.0.7', tokenUrl, CC, right(client))).status, 200);
    assert.equal((await postFrom('127.0.0.8', tokenUrl, CC, { authorization: basicAuth({ client_id: 'guess-f', client_secret: 'x' }) })).status, 401);
  });

  test('private_key_jwt: failures elsewhere or from the same address never refuse a valid assertion', async () => {
    const key = await generateClientKey();
    const client = await createPrivateKeyJwtClient(ts, key);
    const stranger = await generateClientKey(key.kid);
    const withAssertion = async (signer: ClientKey) => ({ ...CC, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: await clientAssertion(ts, client.client_id, signer) });
    for (let i = 0; i < 3; i += 1) assert.equal((await postFrom('127.0.0.9', tokenUrl, await withAssertion(stranger))).status, 401);
    assertLimited(await postFrom('127.0.0.9', tokenUrl, await withAssertion(stranger)));
    assert.equal((await postFrom('127.0.0.10', tokenUrl, await withAssertion(key))).status, 200);
    assert.equal((await postFrom('127.0.0.9', tokenUrl, await withAssertion(key))).status, 200);
  });

  test('throttled failures write no audit entry, so a flood of them cannot flood the audit log', async () => {
    const client = await ts.createClient();
    for (let i = 0; i < 8; i += 1) await postFrom('127.0.0.11', tokenUrl, CC, wrong(client));
    const audited = (await ts.store.audit.list({ event: 'client_auth_failed', limit: 1000 })).filter((entry) => entry.clientId === client.client_id);
    assert.equal(audited.length, 3);
    assert.ok(audited.every((entry) => entry.ip === '127.0.0.11'));
  });

  test('successful authentications are not counted', async () => {
    const client = await ts.createClient();
    for (let i = 0; i < 6; i += 1) assert.equal((await postFrom('127.0.0.12', tokenUrl, CC, right(client))).status, 200);
  });
});
