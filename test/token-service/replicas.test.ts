import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { LocalSecretsProvider } from '../../src/secrets/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/databases.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { clientAssertion, createPrivateKeyJwtClient, eventually, formWithAssertion, generateClientKey, introspect, oauthError } from './helpers.js';

/**
 * Two token-service replicas on one PostgreSQL schema and one secrets store, each with its own
 * pool and its own in-process bus (no Redis): what must be shared lives in PostgreSQL.
 */
describe('two replicas sharing PostgreSQL', () => {
  let schema: { schema: string; drop(): Promise<void> };
  let stores: Store[];
  let a: TestTokenService;
  let b: TestTokenService;
  let client: TestClient;

  before(async () => {
    schema = await createTestSchema();
    const secrets = new LocalSecretsProvider(randomBytes(32));
    const env = { AUTH_ISSUER: 'http://token-service.test', AUTH_KEY_PUBLISH_LEAD: '1h' };
    const storeA = await openStore({ databaseUrl: TEST_DATABASE_URL, schema: schema.schema, poolSize: 5 });
    const storeB = await openStore({ databaseUrl: TEST_DATABASE_URL, schema: schema.schema, poolSize: 5 });
    stores = [storeA, storeB];
    a = await startTestTokenService({ store: storeA, secrets, env, keyRingTickMs: 100 });
    b = await startTestTokenService({ store: storeB, secrets, env, keyRingTickMs: 100 });
    client = await a.createClient({ grant_types: ['client_credentials', 'refresh_token'] });
  });
  after(async () => {
    await Promise.allSettled([a?.close(), b?.close()]);
    await Promise.allSettled((stores ?? []).map((s) => s.close()));
    await schema?.drop();
  });

  test('share one signing key, one admin token and the clients', async () => {
    assert.equal(b.adminToken, a.adminToken);
    const [jwksA, jwksB] = await Promise.all([a, b].map(async (ts) => (await (await fetch(`${ts.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }));
    assert.deepEqual(jwksB!.keys.map((k) => k.kid), jwksA!.keys.map((k) => k.kid));
    assert.equal(jwksA!.keys.length, 1);
    const fromB = await b.clientCredentials(client);
    assert.equal((await introspect(a, client, fromB.access_token)).active, true);
  });

  test('concurrent refreshes of one token on both replicas: exactly one succeeds', async () => {
    for (let round = 0; round < 5; round += 1) {
      const pair = await a.issuePair(`user-${round}`, client.client_id);
      const responses = await Promise.all([a.refresh(client, pair.refresh_token!), b.refresh(client, pair.refresh_token!)]);
      assert.deepEqual(responses.map((r) => r.status).sort(), [200, 400], `round ${round}`);
    }
  });

  test('reusing on one replica a token rotated on the other revokes the family everywhere', async () => {
    const pair = await a.issuePair('mallory-target', client.client_id);
    const rotated = (await (await a.refresh(client, pair.refresh_token!)).json()) as { access_token: string; refresh_token: string };
    const replay = await b.refresh(client, pair.refresh_token!);
    assert.equal((await oauthError(replay)).error, 'invalid_grant');
    assert.equal((await oauthError(await a.refresh(client, rotated.refresh_token))).error, 'invalid_grant');
    assert.deepEqual(await introspect(a, client, rotated.access_token), { active: false });
    assert.deepEqual(await introspect(b, client, rotated.access_token), { active: false });
  });

  test('a client assertion used on one replica cannot be replayed on the other', async () => {
    const key = await generateClientKey();
    const pkj = await createPrivateKeyJwtClient(a, key);
    const assertion = await clientAssertion(a, pkj.client_id, key);
    assert.equal((await formWithAssertion(a, '/oauth2/token', { grant_type: 'client_credentials' }, assertion)).status, 200);
    const replay = await formWithAssertion(b, '/oauth2/token', { grant_type: 'client_credentials' }, assertion);
    assert.equal(replay.status, 401);
    assert.equal((await oauthError(replay)).error, 'invalid_client');
  });

  test('a revocation on one replica is honoured by the other at once', async () => {
    const { access_token } = await b.clientCredentials(client);
    assert.equal((await a.form('/oauth2/revoke', { token: access_token }, client)).status, 200);
    assert.deepEqual(await introspect(b, client, access_token), { active: false });
  });

  test('the audit chain stays whole under concurrent writers on both replicas', async () => {
    const wrong = { ...client, client_secret: 'wrong' };
    await Promise.all(Array.from({ length: 24 }, (_v, i) => (i % 2 === 0 ? a : b).form('/oauth2/token', { grant_type: 'client_credentials' }, wrong)));
    const verification = (await (await b.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean; entries: number };
    assert.equal(verification.ok, true, JSON.stringify(verification));
    assert.ok(verification.entries >= 24);
  });

  test('a key rotated on one replica is published by the other before it signs', async () => {
    const rotated = (await (await a.admin('POST', '/admin/keys/rotate', {})).json()) as { kid: string; activatesAt: string };
    assert.ok(Date.parse(rotated.activatesAt) > Date.now() + 30 * 60_000);
    await eventually(async () => {
      const jwks = (await (await fetch(`${b.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> };
      return jwks.keys.some((k) => k.kid === rotated.kid);
    }, 'replica B to publish the new key');
    // Not signing yet on either replica.
    for (const ts of [a, b]) {
      assert.notEqual(decodeProtectedHeader((await ts.clientCredentials(client)).access_token).kid, rotated.kid);
    }
  });

  test('a client disabled or given a new secret on one replica is refused on the other within the cache bound', async () => {
    const changing = await a.createClient();
    const other = await a.createClient();
    // Both replicas know (and may cache) both clients.
    for (const ts of [a, b]) {
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, changing)).status, 200);
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, other)).status, 200);
    }
    assert.equal((await a.admin('PATCH', `/admin/clients/${changing.client_id}`, { disabled: true })).status, 200);
    const rotated = (await (await a.admin('POST', `/admin/clients/${other.client_id}/secret`)).json()) as TestClient;
    assert.equal((await a.form('/oauth2/token', { grant_type: 'client_credentials' }, changing)).status, 400, 'refused at once where it changed');
    assert.equal((await a.form('/oauth2/token', { grant_type: 'client_credentials' }, other)).status, 401);
    // Without a shared bus the other replica's copy is trusted only for a few seconds.
    await eventually(async () => (await b.form('/oauth2/token', { grant_type: 'client_credentials' }, changing)).status === 400, 'replica B to refuse the disabled client', 15_000);
    await eventually(async () => (await b.form('/oauth2/token', { grant_type: 'client_credentials' }, other)).status === 401, 'replica B to refuse the old secret', 15_000);
    assert.equal((await b.form('/oauth2/token', { grant_type: 'client_credentials' }, rotated)).status, 200);
  });

  test('tokens minted on either replica carry the shared issuer', async () => {
    for (const ts of [a, b]) assert.equal(decodeJwt((await ts.clientCredentials(client)).access_token).iss, 'http://token-service.test');
  });
});
