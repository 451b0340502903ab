import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { TEST_REDIS_URL } from '../support/databases.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';

describe('token-service while Redis (rate limits, events) is down', () => {
  let proxy: TcpFaultProxy;
  let store: Store;
  let ts: TestTokenService;
  let client: TestClient;

  before(async () => {
    proxy = await TcpFaultProxy.start(TEST_REDIS_URL);
    store = await openStore({ redisUrl: proxy.url(TEST_REDIS_URL) });
    ts = await startTestTokenService({ store });
    client = await ts.createClient({ client_id: 'outage-client' });
    assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client)).status, 200);
    await proxy.refuse();
  });
  after(async () => {
    await ts?.close();
    await store?.close();
    await proxy?.close();
  });

  test('a client with good credentials still gets a token', async () => {
    const response = await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client);
    assert.equal(response.status, 200, await response.clone().text());
  });

  test('bad credentials are still a 401 invalid_client, not a 500', async () => {
    const response = await fetch(`${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth({ client_id: client.client_id, client_secret: 'wrong' }) },
      body: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 401, await response.clone().text());
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
  });

  test('introspection and revocation keep answering', async () => {
    const token = await ts.clientCredentials(client);
    assert.equal((await ts.form('/oauth2/introspect', { token: token.access_token }, client)).status, 200);
    assert.equal((await ts.form('/oauth2/revoke', { token: token.access_token }, client)).status, 200);
  });

  test('the outage shows in readiness (degraded, still serving), a metric and one warning', async () => {
    const ready = await fetch(`${ts.url}/readyz`);
    assert.equal(ready.status, 200);
    const report = (await ready.json()) as { status: string; dependencies: Record<string, { status: string }> };
    assert.equal(report.status, 'degraded');
    assert.equal(report.dependencies.rate_limiter!.status, 'degraded');
    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    const count = Number(/failed_auth_limiter_errors_total(?:\{[^}]*\})? (\d+)/.exec(metrics)?.[1] ?? 0);
    assert.ok(count >= 1, metrics.split('\n').filter((l) => l.includes('limiter')).join('\n'));
    const warnings = ts.logs.filter((l) => l.includes('failed-auth rate limiter unavailable'));
    assert.equal(warnings.length, 1, 'logged once per outage, not once per request');
  });
});
