import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MemoryEventBus, type ClientRecord, type ClientRepository } from '../../src/store/index.js';
import { ClientCache } from '../../src/token-service/client-auth/client-cache.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

const CC = { grant_type: 'client_credentials' };

describe('the client cache never outlives an admin change', () => {
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  test('a rotated secret stops working on the next token request, and the new one works', async () => {
    const client = await ts.createClient();
    await ts.clientCredentials(client);
    const rotated = (await (await ts.admin('POST', `/admin/clients/${client.client_id}/secret`)).json()) as { client_secret: string };
    assert.equal((await ts.form('/oauth2/token', CC, client)).status, 401);
    await ts.clientCredentials({ ...client, client_secret: rotated.client_secret });
  });

  test('a disabled client is refused on the next token request', async () => {
    const client = await ts.createClient();
    await ts.clientCredentials(client);
    assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: true })).status, 200);
    const refused = await ts.form('/oauth2/token', CC, client);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized_client');
  });

  test('a deleted client is refused on the next token request', async () => {
    const client = await ts.createClient();
    await ts.clientCredentials(client);
    assert.equal((await ts.admin('DELETE', `/admin/clients/${client.client_id}`)).status, 200);
    assert.equal((await ts.form('/oauth2/token', CC, client)).status, 401);
  });
});

describe('ClientCache', () => {
  const record = (name: string) => ({ clientId: 'c1', name }) as ClientRecord;
  function repository(): { repo: Pick<ClientRepository, 'get'>; reads: () => number; set: (r: ClientRecord | undefined) => void } {
    let current: ClientRecord | undefined = record('first');
    let reads = 0;
    return {
      repo: { get: async () => ((reads += 1), current) },
      reads: () => reads,
      set: (r) => (current = r),
    };
  }

  test('serves repeated lookups from memory until the entry expires', async () => {
    let now = 0;
    const db = repository();
    const cache = new ClientCache(db.repo as ClientRepository, new MemoryEventBus(), { ttlMs: 1000, maxEntries: 10, now: () => now });
    await cache.get('c1');
    await cache.get('c1');
    assert.equal(db.reads(), 1);
    db.set(record('second'));
    now = 1001;
    assert.equal((await cache.get('c1'))?.name, 'second');
    assert.equal(db.reads(), 2);
  });

  test('an invalidation on one replica drops the entry on another sharing the bus', async () => {
    const bus = new MemoryEventBus();
    const db = repository();
    const options = { ttlMs: 60_000, maxEntries: 10, now: () => 0 };
    const [here, there] = [new ClientCache(db.repo as ClientRepository, bus, options), new ClientCache(db.repo as ClientRepository, bus, options)];
    await Promise.all([here.start(), there.start()]);
    await there.get('c1');
    db.set(record('changed'));
    await here.invalidate('c1');
    assert.equal((await there.get('c1'))?.name, 'changed');
    here.stop();
    there.stop();
  });

  test('does not cache unknown clients, and keeps at most maxEntries', async () => {
    let reads = 0;
    const repo = { get: async (id: string) => ((reads += 1), id === 'missing' ? undefined : ({ clientId: id } as ClientRecord)) };
    const cache = new ClientCache(repo as ClientRepository, new MemoryEventBus(), { ttlMs: 60_000, maxEntries: 2, now: () => 0 });
    await cache.get('missing');
    await cache.get('missing');
    assert.equal(reads, 2);
    for (const id of ['a', 'b', 'c', 'c']) await cache.get(id);
    assert.equal(reads, 5, 'c is served from memory the second time');
    await cache.get('a');
    assert.equal(reads, 6, 'a was evicted when c came in');
  });
});
