import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { MemoryEventBus, RedisEventBus } from '../../src/store/index.js';
import { DATABASES, TEST_REDIS_URL } from '../support/databases.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { eventually, refusalCode, startTestEdge, verify, type TestEdge } from './edge-harness.js';

/** token-service's test clients get audience `api`; the edge route asks for the same. */
const ROUTE = { name: 'api', pathPrefix: '/api', policy: { audience: 'api', scopes: ['read'] } };
const decode = (token: string) => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;

describe('edge with the real token-service, in one process', () => {
  let tokenService: TestTokenService;
  let edge: TestEdge;
  let client: TestClient;

  before(async () => {
    tokenService = await startTestTokenService();
    edge = await startTestEdge({ issuer: tokenService, bus: tokenService.store.bus, routes: [ROUTE] });
    client = await tokenService.createClient();
  });
  after(async () => {
    await edge.close();
    await tokenService.close();
  });

  it('admits a client_credentials token and asserts its identity', async () => {
    const { access_token } = await tokenService.clientCredentials(client, { scope: 'read' });
    const response = await verify(edge, access_token);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-client-id'), client.client_id);
    assert.equal(response.headers.get('x-auth-scopes'), 'read');
  });

  it('refuses a token the client revoked (RFC 7009) on the next request', async () => {
    const { access_token } = await tokenService.clientCredentials(client);
    assert.equal((await verify(edge, access_token)).status, 200);
    assert.equal((await tokenService.form('/oauth2/revoke', { token: access_token }, client)).status, 200);
    assert.equal(await refusalCode(await verify(edge, access_token)), 'token_revoked');
  });

  it('refuses access tokens of a revoked refresh family', async () => {
    const pair = await tokenService.issuePair('alice', client.client_id, 'read');
    assert.equal((await verify(edge, pair.access_token)).status, 200);
    const sid = decode(pair.access_token).sid as string;
    assert.equal((await tokenService.admin('POST', `/admin/families/${sid}/revoke`)).status, 200);
    assert.equal(await refusalCode(await verify(edge, pair.access_token)), 'token_revoked');
  });

  it('admits a token signed by a freshly rotated key, and refuses the old key once retired', async () => {
    const old = (await tokenService.clientCredentials(client)).access_token;
    const rotated = await tokenService.admin('POST', '/admin/keys/rotate', { publishLeadSeconds: 0, retireOthersNow: true });
    assert.equal(rotated.status, 200);
    const fresh = (await tokenService.clientCredentials(client)).access_token;
    assert.equal((await verify(edge, fresh)).status, 200, 'the unknown kid triggers a JWKS refresh');
    const refused = await verify(edge, old);
    assert.equal(refused.status, 401);
    assert.ok(['token_key_retired', 'token_key_unknown'].includes((await refusalCode(refused))!));
  });

  it('an edge on another bus catches up from the internal revocation feed', async () => {
    const { access_token } = await tokenService.clientCredentials(client);
    assert.equal((await tokenService.form('/oauth2/revoke', { token: access_token }, client)).status, 200);
    const late = await startTestEdge({ issuer: tokenService, bus: new MemoryEventBus(), routes: [ROUTE] });
    try {
      assert.equal(await refusalCode(await verify(late, access_token)), 'token_revoked');
      const ready = (await (await fetch(`${late.url}/readyz`)).json()) as { dependencies: { revocations: { status: string } } };
      assert.equal(ready.dependencies.revocations.status, 'up');
    } finally {
      await late.close();
    }
  });

  it('refuses everything issued before a revoke-all, and admits tokens minted after it', async () => {
    const before = (await tokenService.clientCredentials(client)).access_token;
    assert.equal((await tokenService.admin('POST', '/admin/revoke-all')).status, 200);
    assert.equal(await refusalCode(await verify(edge, before)), 'token_revoked_by_epoch');
    const after = (await tokenService.clientCredentials(client)).access_token;
    assert.equal((await verify(edge, after)).status, 200);
  });
});

describe('edge with the real token-service, over Redis', () => {
  it('two edge instances refuse a revoked token within 1 s', async () => {
    const store = await DATABASES.find((d) => d.name === 'pglite')!.open({ redisUrl: TEST_REDIS_URL });
    const tokenService = await startTestTokenService({ store });
    const buses = [new RedisEventBus(TEST_REDIS_URL), new RedisEventBus(TEST_REDIS_URL)];
    const edges = await Promise.all(
      buses.map((bus) => startTestEdge({ issuer: tokenService, bus, routes: [ROUTE], env: { EDGE_REVOCATION_POLL_INTERVAL: '1h' } })),
    );
    try {
      const client = await tokenService.createClient();
      const { access_token } = await tokenService.clientCredentials(client);
      for (const edge of edges) assert.equal((await verify(edge, access_token)).status, 200);
      assert.equal((await tokenService.form('/oauth2/revoke', { token: access_token }, client)).status, 200);
      const refused = await eventually(
        async () => (await Promise.all(edges.map((edge) => verify(edge, access_token)))).every((r) => r.status === 401),
        1000,
        10,
      );
      assert.ok(refused, 'both edges refuse the revoked token within 1 s');
    } finally {
      await Promise.all(edges.map((edge) => edge.close()));
      await tokenService.close();
      await store.close();
      await Promise.all(buses.map((bus) => bus.close()));
    }
  });
});
