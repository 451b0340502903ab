import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { MemoryEventBus, RedisEventBus } from '../../src/store/index.js';
import { DATABASES, TEST_REDIS_URL } from '../support/databases.js';
import { entrypoint } from '../support/entrypoints.js';
import { ClientRevocations } from '../../src/edge/revocation/client-revocations.js';
import { FakeIssuer } from '../support/fake-issuer.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { eventually, refusalCode, startTestEdge, verify, withEdge, type TestEdge } from './edge-harness.js';

const ROUTE = { name: 'api', pathPrefix: '/api', policy: { audience: 'api', scopes: ['read'] } };
/** Only bus events and gap pulls may deliver revocations here, never the safety-net timer. */
const NO_POLLING = { EDGE_REVOCATION_POLL_INTERVAL: '1h' };
const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Finding: tokens issued before `authctl clients disable` or `delete` still passed the edge. The
 * attack: a client is cut off, and what it (or whoever stole from it) holds keeps working.
 */
describe('a disabled or deleted client is refused at the edge, in one process', () => {
  let ts: TestTokenService;
  let edge: TestEdge;
  before(async () => {
    ts = await startTestTokenService();
    edge = await startTestEdge({ issuer: ts, bus: ts.store.bus, routes: [ROUTE], env: NO_POLLING });
  });
  after(async () => {
    await edge.close();
    await ts.close();
  });

  async function admitted(): Promise<{ client: TestClient; token: string }> {
    const client = await ts.createClient({ client_id: uniqueId('edge') });
    const token = (await ts.clientCredentials(client)).access_token;
    assert.equal((await verify(edge, token)).status, 200);
    return { client, token };
  }

  it('disable: the token it held is refused with token_revoked_by_client on the next request', async () => {
    const { client, token } = await admitted();
    assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: true })).status, 200);
    const refused = await verify(edge, token);
    assert.equal(refused.status, 401);
    assert.equal(await refusalCode(refused), 'token_revoked_by_client');
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('delete and re-create under the same client_id: the old token stays refused, the new client\'s passes', async () => {
    const { client, token } = await admitted();
    assert.equal((await ts.admin('DELETE', `/admin/clients/${client.client_id}`)).status, 200);
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked_by_client');
    const reborn = await ts.createClient({ client_id: client.client_id });
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked_by_client');
    assert.equal((await verify(edge, (await ts.clientCredentials(reborn)).access_token)).status, 200);
  });

  it('revoke client: the old token is refused, a new one passes, another client is untouched', async () => {
    const bystander = await admitted();
    const { client, token } = await admitted();
    assert.equal((await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`)).status, 200);
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked_by_client');
    assert.equal((await verify(edge, (await ts.clientCredentials(client)).access_token)).status, 200);
    assert.equal((await verify(edge, bystander.token)).status, 200);
  });

  it('an edge started after the revocation learns it from the pull feed', async () => {
    const { client, token } = await admitted();
    assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: true })).status, 200);
    const late = await startTestEdge({ issuer: ts, bus: new MemoryEventBus(), routes: [ROUTE], env: NO_POLLING });
    try {
      assert.equal(await refusalCode(await verify(late, token)), 'token_revoked_by_client');
    } finally {
      await late.close();
    }
  });
});

describe('a disabled or deleted client is refused at every edge, over Redis', () => {
  it('two edges on their own Redis connections both refuse within 1 s of disable, and of delete', async () => {
    const store = await DATABASES.find((d) => d.name === 'pglite')!.open({ redisUrl: TEST_REDIS_URL });
    const ts = await startTestTokenService({ store });
    const buses = [new RedisEventBus(TEST_REDIS_URL), new RedisEventBus(TEST_REDIS_URL)];
    const edges = await Promise.all(buses.map((bus) => startTestEdge({ issuer: ts, bus, routes: [ROUTE], env: NO_POLLING })));
    try {
      for (const action of [
        (id: string) => ts.admin('PATCH', `/admin/clients/${id}`, { disabled: true }),
        (id: string) => ts.admin('DELETE', `/admin/clients/${id}`),
      ]) {
        const client = await ts.createClient({ client_id: uniqueId('redis') });
        const token = (await ts.clientCredentials(client)).access_token;
        for (const edge of edges) assert.equal((await verify(edge, token)).status, 200);
        assert.equal((await action(client.client_id)).status, 200);
        const refused = await eventually(
          async () => (await Promise.all(edges.map(async (edge) => refusalCode(await verify(edge, token))))).every((code) => code === 'token_revoked_by_client'),
          1000,
          10,
        );
        assert.ok(refused, 'both edges refuse the client\'s token within 1 s');
      }
    } finally {
      await Promise.all(edges.map((edge) => edge.close()));
      await ts.close();
      await store.close();
      await Promise.all(buses.map((bus) => bus.close()));
    }
  });
});

describe('client revocations at the edge, against a fake issuer', () => {
  const nowSeconds = () => Math.floor(Date.now() / 1000);

  it('refuses iat at or before the cutoff (the cutoff second included) and admits iat after it, for that client only', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const cutoff = nowSeconds() - 5;
      await issuer.revoke('client', `${cutoff}:client-1`);
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({ iat: cutoff - 1 }))), 'token_revoked_by_client');
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({ iat: cutoff }))), 'token_revoked_by_client');
      assert.equal((await verify(edge, await issuer.sign({ iat: cutoff + 1 }))).status, 200);
      assert.equal((await verify(edge, await issuer.sign({ iat: cutoff - 1, client_id: 'client-2' }))).status, 200);
    });
  });

  it('a client_id holding the separator is matched whole, not by a prefix or suffix', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const cutoff = nowSeconds();
      await issuer.revoke('client', `${cutoff}:a:b`);
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({ client_id: 'a:b' }))), 'token_revoked_by_client');
      for (const clientId of ['a', 'b', `${cutoff}:a:b`]) assert.equal((await verify(edge, await issuer.sign({ client_id: clientId }))).status, 200, clientId);
    });
  });

  it('a later cutoff wins and an earlier one arriving late does not lower it', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const now = nowSeconds();
      await issuer.revoke('client', `${now}:client-1`);
      await issuer.revoke('client', `${now - 60}:client-1`);
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({ iat: now - 1 }))), 'token_revoked_by_client');
    });
  });

  it('a client revocation missed on the bus is pulled from the feed at the next seq gap', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const token = await issuer.sign({ iat: nowSeconds() - 1 });
      await issuer.revoke('client', `${nowSeconds()}:client-1`, { quiet: true });
      assert.equal((await verify(edge, token)).status, 200, 'the quiet revocation has not arrived yet');
      await issuer.revoke('jti', 'something-else');
      assert.ok(await eventually(async () => (await refusalCode(await verify(edge, token))) === 'token_revoked_by_client', 2000));
    });
  });

  it('a malformed client revocation is ignored and revokes nothing', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      for (const value of ['client-1', ':client-1', 'soon:client-1', '123:']) await issuer.revoke('client', value);
      assert.equal((await verify(edge, await issuer.sign({ iat: nowSeconds() - 1 }))).status, 200);
    });
  });
});

describe('ClientRevocations retention', () => {
  const claims = (iat: number) => ({ iss: 'i', sub: 's', aud: 'a', exp: iat + 60, iat, jti: 'j', client_id: 'client-1', scope: '' });

  it('keeps an entry past its expiry for the clock skew, since the edge admits tokens that long past exp', () => {
    const skewMs = 30_000;
    const set = new ClientRevocations(skewMs);
    const expiresAt = Date.now();
    set.apply({ seq: 1, kind: 'client', value: '100:client-1', expiresAt: new Date(expiresAt).toISOString() });
    set.purge(expiresAt + skewMs - 1);
    assert.equal(set.isRevoked(claims(100)), true, 'a token up to exp + skew is still admitted by expiry, so still refused here');
    set.purge(expiresAt + skewMs);
    assert.equal(set.size, 0);
  });
});

describe('the edge\'s feed credential', () => {
  it('is read again after the feed refuses it, so a token stored after the edge started is picked up without a restart', async () => {
    const issuer = await FakeIssuer.start();
    let stored: string | undefined;
    let reads = 0;
    const edge = await startTestEdge({
      issuer: { url: issuer.url, internalUrl: issuer.internalUrl, issuer: issuer.issuer },
      env: { EDGE_REVOCATION_POLL_INTERVAL: '100ms' },
      revocationFeedToken: async () => {
        reads += 1;
        return stored;
      },
    });
    try {
      const token = await issuer.sign({ jti: 'read-again' });
      await issuer.revoke('jti', 'read-again', { quiet: true });
      const readiness = async () => ((await (await fetch(`${edge.url}/readyz`)).json()) as { dependencies: { revocations: { status: string } } }).dependencies.revocations.status;
      assert.equal(await readiness(), 'degraded', 'no credential yet: the feed refuses the edge');
      stored = 'not-the-token';
      const readsBefore = reads;
      assert.ok(await eventually(async () => reads > readsBefore, 3000), 'a later pull reads the store again');
      assert.equal(await readiness(), 'degraded', 'and the feed refuses the wrong token');
      stored = issuer.revocationFeedToken;
      assert.ok(await eventually(async () => (await refusalCode(await verify(edge, token))) === 'token_revoked', 3000), 'the right token is read at a later pull');
      assert.equal(await readiness(), 'up');
    } finally {
      await edge.close();
      await issuer.close();
    }
  });

  it('an edge started on its own with no way to get the feed token refuses to start, naming the variable', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, EDGE_PORT: '0', SECRETS_PROVIDER: 'local', AUTH_MASTER_KEY: Buffer.alloc(32, 1).toString('base64') };
    for (const name of ['EDGE_REVOCATION_FEED_TOKEN', 'AUTH_REVOCATION_FEED_TOKEN', 'EDGE_ROUTES_FILE']) delete env[name];
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(process.execPath, [...entrypoint('main'), 'edge'], { env, timeout: 60_000 }, (error, _stdout, stderr) => {
        resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stderr });
      });
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /EDGE_REVOCATION_FEED_TOKEN: required when the edge runs on its own/);
  });
});
