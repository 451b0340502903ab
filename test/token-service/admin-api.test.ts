import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { generateClientKey, internalBase, oauthError } from './helpers.js';

interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
}

interface AuditEntry {
  seq: number;
  event: string;
  outcome: string;
  actor: string | null;
  clientId: string | null;
  details: Record<string, unknown>;
}

async function problem(response: Response, status: number, code: string): Promise<Problem> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = JSON.parse(text) as Problem;
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.type, 'string');
  return body;
}

/** Every route behind the admin credential: the admin API and the internal issue API. */
const GUARDED: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/admin/clients' },
  { method: 'POST', path: '/admin/clients', body: { name: 'x', scopes: ['read'], audiences: ['api'] } },
  { method: 'GET', path: '/admin/clients/some-client' },
  { method: 'PATCH', path: '/admin/clients/some-client', body: { name: 'y' } },
  { method: 'DELETE', path: '/admin/clients/some-client' },
  { method: 'POST', path: '/admin/clients/some-client/secret' },
  { method: 'GET', path: '/admin/keys' },
  { method: 'POST', path: '/admin/keys/rotate', body: {} },
  { method: 'POST', path: '/admin/families/some-family/revoke' },
  { method: 'POST', path: '/admin/revoke-all' },
  { method: 'GET', path: '/admin/audit' },
  { method: 'GET', path: '/admin/audit/verify' },
  { method: 'POST', path: '/admin/clients/some-client/revoke' },
  { method: 'POST', path: '/admin/tokens/revoke', body: { jti: 'some-jti' } },
  { method: 'POST', path: '/internal/tokens', body: { subject: 'u', client_id: 'some-client' } },
];

describe('admin API', () => {
  let ts: TestTokenService;

  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  const call = (method: string, path: string, authorization: string | undefined, body?: unknown) =>
    fetch(internalBase(ts) + path, {
      method,
      headers: { ...(authorization === undefined ? {} : { authorization }), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function auditEntries(event?: string): Promise<AuditEntry[]> {
    const response = await ts.admin('GET', `/admin/audit?limit=1000${event ? `&event=${event}` : ''}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { entries: AuditEntry[] }).entries;
  }

  describe('the admin credential', () => {
    for (const { method, path, body } of GUARDED) {
      test(`${method} ${path} without the admin token is 401 admin_unauthorized and changes nothing`, async () => {
        const clientsBefore = (await ts.store.clients.list()).length;
        const keysBefore = (await ts.store.signingKeys.listAll()).length;
        for (const authorization of [undefined, `Bearer ${ts.adminToken}x`, `Bearer ${ts.adminToken.slice(0, -1)}`, `Basic ${Buffer.from(`admin:${ts.adminToken}`).toString('base64')}`, ts.adminToken, 'Bearer ']) {
          const response = await call(method, path, authorization, body);
          await problem(response, 401, 'admin_unauthorized');
          assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer /);
        }
        assert.equal((await ts.store.clients.list()).length, clientsBefore);
        assert.equal((await ts.store.signingKeys.listAll()).length, keysBefore);
        assert.equal(await ts.store.revocations.currentEpoch(), 0);
      });
    }

    test('the admin and internal APIs are not served on the public listener', async () => {
      assert.notEqual(ts.internalUrl, ts.url);
      for (const path of ['/admin/clients', '/admin/keys', '/internal/revocations?since=0']) {
        const response = await fetch(ts.url + path, { headers: { authorization: `Bearer ${ts.adminToken}` } });
        assert.equal(response.status, 404, path);
      }
      const issue = await fetch(`${ts.url}/internal/tokens`, {
        method: 'POST', headers: { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'u', client_id: 'c' }),
      });
      assert.equal(issue.status, 404);
    });

    test('a failed admin authentication is audited, without the presented token', async () => {
      const guess = `guess-${Date.now()}-admin`;
      await problem(await call('GET', '/admin/clients', `Bearer ${guess}`), 401, 'admin_unauthorized');
      const entries = await auditEntries('admin_auth_failed');
      assert.ok(entries.some((e) => e.outcome === 'failure' && e.details.path === '/admin/clients'));
      assert.ok(!JSON.stringify(entries).includes(guess));
    });

    test('a failed authentication on the internal API is audited as well', async () => {
      await problem(await call('POST', '/internal/tokens', 'Bearer wrong-token', { subject: 'u', client_id: 'c' }), 401, 'admin_unauthorized');
      const paths = (await auditEntries('admin_auth_failed')).map((e) => e.details.path);
      assert.ok(paths.includes('/internal/tokens'), `audited paths: ${paths.join(', ')}`);
    });
  });

  describe('clients CRUD', () => {
    test('create, read, list, update, rotate the secret, delete: a round trip', async () => {
      const created = await ts.admin('POST', '/admin/clients', {
        client_id: 'billing-service', name: 'Billing', scopes: ['read', 'write'], audiences: ['https://billing.example'],
        grant_types: ['client_credentials', 'refresh_token'], access_token_ttl_seconds: 120,
      });
      assert.equal(created.status, 201);
      assert.equal(created.headers.get('cache-control'), 'no-store');
      const client = (await created.json()) as TestClient & Record<string, unknown>;
      assert.equal(client.client_id, 'billing-service');
      assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
      assert.equal(typeof client.client_secret, 'string');

      const read = (await (await ts.admin('GET', '/admin/clients/billing-service')).json()) as Record<string, unknown>;
      assert.deepEqual(
        { name: read.name, scopes: read.scopes, audiences: read.audiences, grant_types: read.grant_types, ttl: read.access_token_ttl_seconds, disabled: read.disabled },
        { name: 'Billing', scopes: ['read', 'write'], audiences: ['https://billing.example'], grant_types: ['client_credentials', 'refresh_token'], ttl: 120, disabled: false },
      );
      assert.equal(read.client_secret, undefined);
      const list = (await (await ts.admin('GET', '/admin/clients')).json()) as { clients: Array<{ client_id: string }> };
      assert.ok(list.clients.some((c) => c.client_id === 'billing-service'));

      // The registration is what the token endpoint enforces.
      const token = await ts.clientCredentials(client, { scope: 'write' });
      assert.equal(token.expires_in, 120);
      assert.equal(decodeJwt(token.access_token).aud, 'https://billing.example');

      const patched = await ts.admin('PATCH', '/admin/clients/billing-service', { name: 'Billing v2', scopes: ['read'] });
      assert.equal(patched.status, 200);
      const updated = (await patched.json()) as Record<string, unknown>;
      assert.equal(updated.name, 'Billing v2');
      assert.deepEqual(updated.scopes, ['read']);
      assert.equal(updated.client_secret, undefined);
      assert.ok(Date.parse(updated.updated_at as string) >= Date.parse(read.updated_at as string));
      const refused = await ts.form('/oauth2/token', { grant_type: 'client_credentials', scope: 'write' }, client);
      assert.equal((await oauthError(refused)).error, 'invalid_scope');

      const pair = await ts.issuePair('someone', 'billing-service');
      const rotated = await ts.admin('POST', '/admin/clients/billing-service/secret');
      assert.equal(rotated.status, 200);
      const withNewSecret = (await rotated.json()) as TestClient;
      assert.notEqual(withNewSecret.client_secret, client.client_secret);
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client)).status, 401);
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, withNewSecret)).status, 200);

      const deleted = await ts.admin('DELETE', '/admin/clients/billing-service');
      assert.equal(deleted.status, 200);
      await problem(await ts.admin('GET', '/admin/clients/billing-service'), 404, 'client_not_found');
      await problem(await ts.admin('DELETE', '/admin/clients/billing-service'), 404, 'client_not_found');
      await problem(await ts.admin('PATCH', '/admin/clients/billing-service', { name: 'ghost' }), 404, 'client_not_found');
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, withNewSecret)).status, 401);
      // Its refresh families went with it.
      assert.equal((await ts.refresh(withNewSecret, pair.refresh_token!)).status, 401);
      assert.equal(await ts.store.refreshFamilies.get(decodeJwt(pair.access_token).sid as string), undefined);

      const events = (await auditEntries()).filter((e) => e.clientId === 'billing-service' && e.actor === 'admin').map((e) => e.event);
      assert.deepEqual(events, ['admin.client_created', 'admin.client_updated', 'admin.client_secret_rotated', 'admin.client_deleted', 'client_tokens_revoked']);
      const everything = JSON.stringify(await auditEntries());
      assert.ok(!everything.includes(client.client_secret) && !everything.includes(withNewSecret.client_secret), 'no secret in the audit log');
    });

    test('a duplicate client_id is 409 client_exists and the original is untouched', async () => {
      const original = await ts.createClient({ client_id: 'dup-client', name: 'original' });
      await problem(await ts.admin('POST', '/admin/clients', { client_id: 'dup-client', name: 'impostor', scopes: ['read'], audiences: ['api'] }), 409, 'client_exists');
      const read = (await (await ts.admin('GET', '/admin/clients/dup-client')).json()) as { name: string };
      assert.equal(read.name, 'original');
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, original)).status, 200);
    });

    test('concurrent creations of one client_id: exactly one 201, the rest 409', async () => {
      const responses = await Promise.all(Array.from({ length: 5 }, (_v, i) =>
        ts.admin('POST', '/admin/clients', { client_id: 'raced-client', name: `racer ${i}`, scopes: ['read'], audiences: ['api'] })));
      assert.deepEqual(responses.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
      const winner = (await responses.find((r) => r.status === 201)!.json()) as TestClient;
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, winner)).status, 200, 'the secret shown is the one stored');
    });

    test('unknown fields are refused with 400, not silently dropped', async () => {
      const created = await ts.admin('POST', '/admin/clients', { name: 'x', scopes: ['read'], audiences: ['api'], client_secret: 'chosen-by-caller' });
      assert.equal(created.status, 400);
      assert.match(created.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const withAdmin = await ts.admin('POST', '/admin/clients', { name: 'x', scopes: ['read'], audiences: ['api'], is_admin: true });
      assert.equal(withAdmin.status, 400);

      const client = await ts.createClient();
      const patched = await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { secret_hash: 'AAAA' });
      assert.equal(patched.status, 400);
      const renamed = await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { client_id: 'renamed' });
      assert.equal(renamed.status, 400);
      assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client)).status, 200);
    });

    test('malformed bodies are 4xx problems: bad JSON, wrong types, invalid scopes, empty patches', async () => {
      const badJson = await fetch(`${internalBase(ts)}/admin/clients`, { method: 'POST', headers: { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'application/json' }, body: '{"name":' });
      assert.equal(badJson.status, 400);
      const textBody = await fetch(`${internalBase(ts)}/admin/clients`, { method: 'POST', headers: { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'text/plain' }, body: 'hello' });
      assert.ok(textBody.status === 415 || textBody.status === 400, String(textBody.status));
      for (const body of [
        { name: 'x', scopes: { read: true }, audiences: ['api'] },
        { name: 'x', scopes: ['has space'], audiences: ['api'] },
        { name: 'x', scopes: ['read'], audiences: [] },
        { name: '', scopes: ['read'], audiences: ['api'] },
        { name: 'x', scopes: ['read'], audiences: ['api'], grant_types: ['password'] },
        { name: 'x', scopes: ['read'], audiences: ['api'], client_id: 'a b' },
        { name: 'x', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'none' },
      ]) {
        const response = await ts.admin('POST', '/admin/clients', body);
        assert.equal(response.status, 400, JSON.stringify(body));
      }
      const client = await ts.createClient();
      assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, {})).status, 400);
    });

    describe('private_key_jwt registration', () => {
      test('a public key set is accepted and no secret is issued', async () => {
        const key = await generateClientKey();
        const response = await ts.admin('POST', '/admin/clients', { name: 'pkj', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } });
        assert.equal(response.status, 201);
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.client_secret, undefined);
        assert.equal((await ts.store.clients.get(body.client_id as string))?.secretHash, null);
      });

      test('a private JWK (with d) is refused 400 invalid_jwks, and never stored', async () => {
        const { privateKey, publicJwk } = await generateClientKey();
        const { exportJWK } = await import('jose');
        const privateJwk = { ...(await exportJWK(privateKey)), kid: publicJwk.kid as string };
        assert.equal(typeof privateJwk.d, 'string');
        const response = await ts.admin('POST', '/admin/clients', { client_id: 'leaky-client', name: 'leaky', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [privateJwk] } });
        await problem(response, 400, 'invalid_jwks');
        assert.equal(await ts.store.clients.get('leaky-client'), undefined);
        const rows = await ts.store.db.query('SELECT jwks::text AS jwks FROM clients');
        assert.ok(!JSON.stringify(rows).includes(privateJwk.d!));
      });

      test('a symmetric (oct) key is refused 400 invalid_jwks', async () => {
        const oct = { kty: 'oct', k: Buffer.from('a shared secret of sufficient size!!').toString('base64url'), alg: 'HS256', kid: 'hmac' };
        await problem(
          await ts.admin('POST', '/admin/clients', { name: 'hmac', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [oct] } }),
          400, 'invalid_jwks',
        );
        const { k: _k, ...octWithoutK } = oct;
        await problem(
          await ts.admin('POST', '/admin/clients', { name: 'hmac', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [octWithoutK] } }),
          400, 'invalid_jwks',
        );
      });

      test('an asymmetric key labelled with an HMAC or none alg is refused 400 invalid_jwks', async () => {
        const { publicJwk } = await generateClientKey();
        for (const alg of ['HS256', 'none']) {
          await problem(
            await ts.admin('POST', '/admin/clients', { name: 'x', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ ...publicJwk, alg }] } }),
            400, 'invalid_jwks',
          );
        }
      });

      test('a private key cannot be slipped in by PATCH either', async () => {
        const key = await generateClientKey();
        const client = (await (await ts.admin('POST', '/admin/clients', { name: 'pkj2', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [key.publicJwk] } })).json()) as { client_id: string };
        const { exportJWK } = await import('jose');
        const privateJwk = await exportJWK(key.privateKey);
        await problem(await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { jwks: { keys: [privateJwk] } }), 400, 'invalid_jwks');
        assert.deepEqual((await ts.store.clients.get(client.client_id))?.jwks, { keys: [key.publicJwk] });
      });

      test('private_key_jwt without a key set is refused', async () => {
        const response = await ts.admin('POST', '/admin/clients', { name: 'nokeys', scopes: ['read'], audiences: ['api'], token_endpoint_auth_method: 'private_key_jwt' });
        await problem(response, 400, 'invalid_client_metadata');
      });
    });
  });

  describe('refresh families', () => {
    test('revoking one family kills its refresh token and access tokens, and only that family', async () => {
      const client = await ts.createClient();
      const target = await ts.issuePair('victim', client.client_id);
      const bystander = await ts.issuePair('bystander', client.client_id);
      const familyId = decodeJwt(target.access_token).sid as string;
      const response = await ts.admin('POST', `/admin/families/${familyId}/revoke`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { familyId, revoked: true });
      assert.equal((await ts.refresh(client, target.refresh_token!)).status, 400);
      const introspected = (await (await ts.form('/oauth2/introspect', { token: target.access_token }, client)).json()) as { active: boolean };
      assert.equal(introspected.active, false);
      assert.equal((await ts.refresh(client, bystander.refresh_token!)).status, 200);
      await problem(await ts.admin('POST', '/admin/families/no-such-family/revoke'), 404, 'family_not_found');
    });
  });

  // Last: it tampers with the log.
  describe('the hash-chained audit log', () => {
    test('verifies after a series of actions', async () => {
      const client = await ts.createClient();
      await ts.clientCredentials(client);
      await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, { ...client, client_secret: 'wrong' });
      await ts.admin('POST', '/admin/keys/rotate', { publishLeadSeconds: 0 });
      await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { name: 'renamed' });
      await call('GET', '/admin/keys', 'Bearer nope');
      const response = await ts.admin('GET', '/admin/audit/verify');
      assert.equal(response.status, 200);
      const verification = (await response.json()) as { ok: boolean; entries: number };
      assert.equal(verification.ok, true);
      const entries = await auditEntries();
      assert.equal(verification.entries, entries.length);
      assert.ok(entries.length >= 5);
      assert.deepEqual(entries.map((e) => e.seq), entries.map((_e, i) => i + 1));
    });

    test('refuses UPDATE and DELETE: the table is append-only', async () => {
      await assert.rejects(ts.store.db.query(`UPDATE audit_log SET event = 'nothing' WHERE seq = 1`), /append-only/);
      await assert.rejects(ts.store.db.query('DELETE FROM audit_log WHERE seq = 1'), /append-only/);
      assert.equal(((await (await ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean }).ok, true);
    });

    test('detects an edited entry, at its seq, once the trigger is bypassed', async () => {
      const entries = await auditEntries();
      const target = entries.find((e) => e.event === 'client_auth_failed') ?? entries[Math.floor(entries.length / 2)]!;
      await ts.store.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
      try {
        await ts.store.db.query(`UPDATE audit_log SET outcome = 'success' WHERE seq = $1`, [target.seq]);
      } finally {
        await ts.store.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
      }
      const verification = (await (await ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean; brokenAt: number; entries: number; reason: string };
      assert.equal(verification.ok, false);
      assert.equal(verification.brokenAt, target.seq);
      assert.equal(verification.entries, target.seq - 1);
      assert.equal(verification.reason, 'content altered');
    });
  });
});

describe('audit chain tampering on a fresh log', () => {
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  const verify = async () => (await (await ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean; brokenAt?: number; reason?: string; entries: number };

  test('a deleted entry in the middle is reported at its seq as missing', async () => {
    for (let i = 0; i < 4; i += 1) await ts.createClient({ name: `c${i}` });
    const intact = await verify();
    assert.deepEqual([intact.ok, intact.entries], [true, 4]);
    await ts.store.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
    await ts.store.db.query('DELETE FROM audit_log WHERE seq = 2');
    await ts.store.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
    const result = await verify();
    assert.equal(result.ok, false);
    assert.equal(result.brokenAt, 2);
    assert.equal(result.reason, 'missing entry');
  });
});
