import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { requestFrom, type ResponseFrom } from '../support/from-address.js';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';

const CC = new URLSearchParams({ grant_type: 'client_credentials' }).toString();

function assertThrottled(response: ResponseFrom): void {
  assert.equal(response.status, 429, response.text);
  const retryAfter = Number(response.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${String(response.headers['retry-after'])}`);
}

describe('the admin API cannot be locked out by failed admin tokens (AUTH_FAILED_AUTH_LIMIT=3)', () => {
  let ts: TestTokenService;

  before(async () => {
    ts = await startTestTokenService({ env: { AUTH_FAILED_AUTH_LIMIT: '3', AUTH_FAILED_AUTH_ADDRESS_LIMIT: '3', AUTH_FAILED_AUTH_WINDOW: '1m' } });
  });
  after(() => ts.close());

  // Without a mesh the internal listener answers loopback callers, and all of 127/8 is loopback.
  const listClients = (from: string, token: string) =>
    requestFrom(from, `${ts.internalUrl}/admin/clients`, { headers: { authorization: `Bearer ${token}` } });

  test('wrong admin tokens from one address: 429 there once past the budget, while the right token works from everywhere', async () => {
    const wrong = 'not-the-admin-token-but-long-enough-to-look-like-one';
    for (let i = 0; i < 3; i += 1) assert.equal((await listClients('127.0.0.2', wrong)).status, 401);
    const throttled = await listClients('127.0.0.2', wrong);
    assertThrottled(throttled);
    assert.equal((JSON.parse(throttled.text) as { code: string }).code, 'rate_limited');
    assert.equal((await listClients('127.0.0.3', ts.adminToken)).status, 200);
    assert.equal((await listClients('127.0.0.2', ts.adminToken)).status, 200);
    assert.equal((await listClients('127.0.0.3', wrong)).status, 401, 'another address keeps its own budget');
  });

  test('failed client authentications from an address do not throttle admin-token checks from it', async () => {
    for (const clientId of ['guess-a', 'guess-b', 'guess-c']) {
      await requestFrom('127.0.0.4', `${ts.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth({ client_id: clientId, client_secret: 'x' }) },
        body: CC,
      });
    }
    assert.equal((await listClients('127.0.0.4', 'still-not-the-admin-token-and-long-enough')).status, 401);
  });
});

describe('behind a trusted proxy (TOKEN_SERVICE_TRUST_PROXY=1), failed authentication is throttled by the client address the proxy reports', () => {
  let ts: TestTokenService;
  let client: TestClient;

  before(async () => {
    ts = await startTestTokenService({ env: { TOKEN_SERVICE_TRUST_PROXY: '1', AUTH_FAILED_AUTH_LIMIT: '3', AUTH_FAILED_AUTH_WINDOW: '1m' } });
    client = await ts.createClient();
  });
  after(() => ts.close());

  /** A token request arriving through the proxy at 127.0.0.1 with this X-Forwarded-For. */
  const viaProxy = (forwardedFor: string, secret: string) =>
    requestFrom('127.0.0.1', `${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: basicAuth({ client_id: client.client_id, client_secret: secret }),
        'x-forwarded-for': forwardedFor,
      },
      body: CC,
    });

  test('clients behind one proxy have separate budgets, and a forged left-most entry does not buy a new one', async () => {
    for (let i = 0; i < 3; i += 1) assert.equal((await viaProxy('198.51.100.7', 'wrong')).status, 401);
    assertThrottled(await viaProxy('198.51.100.7', 'wrong'));
    assertThrottled(await viaProxy('1.1.1.1, 198.51.100.7', 'wrong'));
    // Before, token-service ignored X-Forwarded-For: every caller behind the proxy shared its bucket.
    assert.equal((await viaProxy('198.51.100.8', 'wrong')).status, 401);
    assert.equal((await viaProxy('198.51.100.7', client.client_secret)).status, 200);
  });

  test('the audit entry records the client address, not the proxy\'s', async () => {
    const failures = (await ts.store.audit.list({ event: 'client_auth_failed', limit: 1000 })).filter((entry) => entry.clientId === client.client_id);
    assert.deepEqual([...new Set(failures.map((entry) => entry.ip))].sort(), ['198.51.100.7', '198.51.100.8']);
  });

  test('the internal listener does not read X-Forwarded-For: mesh peers call it directly', async () => {
    const wrong = await requestFrom('127.0.0.1', `${ts.internalUrl}/admin/clients`, { headers: { authorization: 'Bearer wrong-token-long-enough-to-matter', 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(wrong.status, 401);
    const audited = await ts.store.audit.list({ event: 'admin_auth_failed', limit: 1000 });
    assert.equal(audited.at(-1)?.ip, '127.0.0.1');
  });
});
