import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/index.js';
import { LocalSecretsProvider } from '../../src/secrets/index.js';
import { REVOCATION_FEED_TOKEN_PATH } from '../../src/token-service/index.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

/** Every admin route, and the internal issue API: none of them may open to the feed credential. */
const ADMIN_ROUTES: Array<{ method: string; path: string; body?: unknown }> = [
  { method: 'GET', path: '/admin/clients' },
  { method: 'POST', path: '/admin/clients', body: { name: 'x', scopes: ['read'], audiences: ['api'] } },
  { method: 'PATCH', path: '/admin/clients/feed-victim', body: { disabled: true } },
  { method: 'DELETE', path: '/admin/clients/feed-victim' },
  { method: 'POST', path: '/admin/clients/feed-victim/secret' },
  { method: 'POST', path: '/admin/clients/feed-victim/revoke' },
  { method: 'POST', path: '/admin/keys/rotate', body: {} },
  { method: 'POST', path: '/admin/revoke-all' },
  { method: 'POST', path: '/admin/tokens/revoke', body: { jti: 'x' } },
  { method: 'GET', path: '/admin/audit' },
  { method: 'POST', path: '/internal/tokens', body: { subject: 'u', client_id: 'feed-victim' } },
];

/**
 * Finding: the edge needed the full admin token to read the revocation feed, so every edge (the
 * most exposed workload) held the keys to the admin API. The feed now has its own credential.
 */
describe('the revocation feed credential', () => {
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
    await ts.createClient({ client_id: 'feed-victim' });
  });
  after(() => ts.close());

  const call = (method: string, path: string, token: string, body?: unknown) =>
    fetch(ts.internalUrl + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  test('opens the feed', async () => {
    assert.notEqual(ts.revocationFeedToken, ts.adminToken);
    const response = await ts.feed();
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(((await response.json()) as { events: unknown[] }).events));
  });

  for (const { method, path, body } of ADMIN_ROUTES) {
    test(`an edge's feed token used on ${method} ${path} is 401 admin_unauthorized and changes nothing`, async () => {
      const response = await call(method, path, ts.revocationFeedToken, body);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { code: string }).code, 'admin_unauthorized');
      const victim = await ts.store.clients.get('feed-victim');
      assert.equal(victim?.disabled, false);
      assert.equal(await ts.store.revocations.currentEpoch(), 0);
    });
  }

  test('the admin token no longer opens the feed: 401 revocation_feed_unauthorized, audited without the token', async () => {
    const response = await call('GET', '/internal/revocations?since=0', ts.adminToken);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'revocation_feed_unauthorized');
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="revocation-feed"/);
    const audit = await (await ts.admin('GET', '/admin/audit?event=revocation_feed_auth_failed&limit=100')).text();
    assert.match(audit, /"path":"\/internal\/revocations"/);
    assert.ok(!audit.includes(ts.adminToken) && !audit.includes(ts.revocationFeedToken));
  });

  test('a near miss of the feed token is refused like any other', async () => {
    for (const token of [`${ts.revocationFeedToken}x`, ts.revocationFeedToken.slice(0, -1)]) {
      assert.equal((await call('GET', '/internal/revocations?since=0', token)).status, 401);
    }
  });
});

describe('where the feed token comes from', () => {
  test('generated once and stored in the secrets provider: every replica on it serves the same token', async () => {
    const secrets = new LocalSecretsProvider(randomBytes(32));
    const first = await startTestTokenService({ secrets });
    try {
      assert.equal((await secrets.read(REVOCATION_FEED_TOKEN_PATH))?.value, first.revocationFeedToken);
      const second = await startTestTokenService({ secrets });
      try {
        assert.equal(second.revocationFeedToken, first.revocationFeedToken);
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
    }
  });

  test('AUTH_REVOCATION_FEED_TOKEN sets it, and may not be the admin token', async () => {
    const token = randomBytes(32).toString('base64url');
    const ts = await startTestTokenService({ env: { AUTH_REVOCATION_FEED_TOKEN: token } });
    try {
      assert.equal(ts.revocationFeedToken, token);
      assert.equal((await ts.feed()).status, 200);
    } finally {
      await ts.close();
    }
    assert.throws(() => loadConfig({ AUTH_ADMIN_TOKEN: token, AUTH_REVOCATION_FEED_TOKEN: token }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['AUTH_REVOCATION_FEED_TOKEN']);
      assert.ok(!error.message.includes(token), 'the token is never echoed');
      return true;
    });
  });

  test('EDGE_ADMIN_TOKEN is refused at start, naming its replacement', () => {
    assert.throws(() => loadConfig({ EDGE_ADMIN_TOKEN: 'a'.repeat(40) }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((p) => p.variable), ['EDGE_ADMIN_TOKEN']);
      assert.match(error.message, /EDGE_REVOCATION_FEED_TOKEN/);
      return true;
    });
  });
});
