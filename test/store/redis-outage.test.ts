import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { openStore, type Store } from '../../src/store/index.js';
import { TEST_REDIS_URL } from '../support/databases.js';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';

/** A TCP proxy in front of the test Redis that the test can cut, to stage an outage. */
async function redisProxy(): Promise<{ url: string; cut(): void; close(): Promise<void> }> {
  const target = new URL(TEST_REDIS_URL);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  let closed = false;
  const cut = () => {
    if (!closed) server.close();
    closed = true;
    for (const s of sockets) s.destroy();
  };
  return { url: `redis://127.0.0.1:${port}`, cut, close: async () => cut() };
}

describe('token-service while Redis (rate limits, events) is down', () => {
  let proxy: Awaited<ReturnType<typeof redisProxy>>;
  let store: Store;
  let ts: TestTokenService;
  let client: TestClient;

  before(async () => {
    proxy = await redisProxy();
    store = await openStore({ redisUrl: proxy.url });
    ts = await startTestTokenService({ store });
    client = await ts.createClient({ client_id: 'outage-client' });
    assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client)).status, 200);
    proxy.cut();
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
