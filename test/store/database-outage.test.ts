import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { DatabaseAvailability, DatabaseUnavailableError, MemoryEventBus, openStore, type ClientRecord, type ClientRepository, type Store } from '../../src/store/index.js';
import { ClientCache } from '../../src/token-service/client-auth/client-cache.js';
import { createTestSchema, TEST_DATABASE_URL } from '../support/databases.js';
import { entrypoint } from '../support/entrypoints.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';
import { startTestTokenService, type TestClient, type TestTokenService, type TokenResponse } from '../support/token-service.js';

const run = promisify(execFile);

interface Answer {
  status: number;
  retryAfter: string | null;
  code: string | undefined;
}

async function answer(response: Promise<Response>): Promise<Answer> {
  const res = await response;
  const body = (await res.json().catch(() => ({}))) as { error?: string; code?: string };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code: body.code ?? body.error };
}

/** Lines at error level or above, or carrying a stack: what an operator would read as a crash. */
function errorLines(lines: string[]): string[] {
  return lines.filter((line) => /"level":(50|60)/.test(line) || line.includes('"stack"'));
}

async function metric(ts: TestTokenService, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${ts.url}/metrics`)).text();
  const value = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

describe('token-service while PostgreSQL cannot be reached', () => {
  let proxy: TcpFaultProxy;
  let dropSchema: () => Promise<void>;
  let store: Store;
  let ts: TestTokenService;
  /** Moves the service's clock past the client cache's lifetime without waiting. */
  let skewMs = 0;
  let known: TestClient;
  let unseen: TestClient;
  let pair: TokenResponse;
  let accessToken: string;
  let logsBeforeOutage = 0;

  before(async () => {
    proxy = await TcpFaultProxy.start(TEST_DATABASE_URL);
    const schema = await createTestSchema();
    dropSchema = schema.drop;
    store = await openStore({ databaseUrl: proxy.url(TEST_DATABASE_URL), schema: schema.schema, poolSize: 5 });
    // Background maintenance (key ring, purge) runs often, so the outage meets it too and must not log it each time.
    ts = await startTestTokenService({ store, now: () => Date.now() + skewMs, keyRingTickMs: 250, purgeIntervalMs: 250 });
    known = await ts.createClient();
    unseen = await ts.createClient();
    pair = await ts.issuePair('alice', known.client_id);
    accessToken = (await ts.clientCredentials(known)).access_token;
    logsBeforeOutage = ts.logs.length;
    await proxy.refuse();
    skewMs = 60_000;
  });
  after(async () => {
    await ts?.close();
    await store?.close();
    await proxy?.close();
    await dropSchema?.();
  });

  test('a client this replica has authenticated keeps getting tokens, past its cache lifetime', async () => {
    const response = await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, known);
    assert.equal(response.status, 200, await response.clone().text());
  });

  test('every request that needs the database answers 503 with its documented code and Retry-After, never 500', async () => {
    const requests: Array<[string, Promise<Response>, string]> = [
      ['token for a client not seen before', ts.form('/oauth2/token', { grant_type: 'client_credentials' }, unseen), 'temporarily_unavailable'],
      ['refresh_token grant', ts.refresh(known, pair.refresh_token!), 'temporarily_unavailable'],
      ['introspection', ts.form('/oauth2/introspect', { token: accessToken }, known), 'temporarily_unavailable'],
      ['revocation', ts.form('/oauth2/revoke', { token: accessToken }, known), 'temporarily_unavailable'],
      ['admin: create a client', ts.admin('POST', '/admin/clients', { name: 'x', scopes: ['read'], audiences: ['api'], grant_types: ['client_credentials'] }), 'database_unavailable'],
      ['admin: list clients', ts.admin('GET', '/admin/clients'), 'database_unavailable'],
      ['admin: show a client', ts.admin('GET', `/admin/clients/${known.client_id}`), 'database_unavailable'],
      ['internal issue API', ts.admin('POST', '/internal/tokens', { subject: 'bob', client_id: known.client_id }), 'database_unavailable'],
    ];
    for (const [name, response, code] of requests) {
      assert.deepEqual(await answer(response), { status: 503, retryAfter: '5', code }, name);
    }
  });

  test('JWKS, metadata and the admin view of the secrets provider are still served', async () => {
    assert.equal((await fetch(`${ts.url}/.well-known/jwks.json`)).status, 200);
    assert.equal((await fetch(`${ts.url}/.well-known/oauth-authorization-server`)).status, 200);
    assert.equal((await ts.admin('GET', '/admin/secrets')).status, 200);
  });

  test('readiness is degraded, not down: it names the database as unreachable and says what still works', async () => {
    const response = await fetch(`${ts.url}/readyz`);
    assert.equal(response.status, 200);
    const report = (await response.json()) as { status: string; dependencies: Record<string, { status: string; reachable?: boolean; detail?: string }> };
    assert.equal(report.status, 'degraded');
    assert.equal(report.dependencies.database!.status, 'degraded');
    assert.equal(report.dependencies.database!.reachable, false);
    assert.match(report.dependencies.database!.detail ?? '', /has been unreachable since \S+ \((connect ECONNREFUSED|read ECONNRESET|Connection terminated)[^)]*\); still serving client_credentials/);
  });

  test('authctl status shows the database unreachable', async () => {
    const { stdout } = await run(process.execPath, [...entrypoint('ctl/main'), 'status'], {
      env: { ...process.env, AUTHCTL_URL: ts.internalUrl, AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_EDGE_URL: 'http://127.0.0.1:9' },
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    assert.match(stdout, /token-service: degraded/);
    assert.match(stdout, /database\s+degraded\s+\(the database has been unreachable since/);
    assert.match(stdout, /audit head: unavailable \(.*database_unavailable/);
  });

  test('the outage is one warning, with no error line and no stack, and database_up is 0', async () => {
    const outage = ts.logs.slice(logsBeforeOutage);
    assert.deepEqual(errorLines(outage), []);
    const warnings = outage.filter((line) => line.includes('"level":40'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /database: unavailable/);
    assert.equal(await metric(ts, 'database_up'), 0);
  });

  test('when the database is back, requests succeed without a restart and the recovery is logged once', async () => {
    await proxy.heal();
    const created = await ts.admin('POST', '/admin/clients', { name: 'after', scopes: ['read'], audiences: ['api'], grant_types: ['client_credentials'] });
    assert.equal(created.status, 201, await created.clone().text());
    assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, unseen)).status, 200);
    assert.equal((await ts.refresh(known, pair.refresh_token!)).status, 200);
    assert.equal(ts.logs.filter((line) => line.includes('database: connection restored')).length, 1);
    assert.equal(((await (await fetch(`${ts.url}/readyz`)).json()) as { status: string }).status, 'ready');
    assert.equal(await metric(ts, 'database_up'), 1);
  });

  test('a database that stops answering without refusing is an outage too, once the connection attempt times out', async () => {
    proxy.hang();
    const logsBefore = ts.logs.length;
    assert.deepEqual(await answer(ts.admin('GET', '/admin/clients')), { status: 503, retryAfter: '5', code: 'database_unavailable' });
    const readiness = (await (await fetch(`${ts.url}/readyz`)).json()) as { status: string };
    assert.equal(readiness.status, 'degraded');
    assert.deepEqual(errorLines(ts.logs.slice(logsBefore)), []);
  });

  test('while the database is known to be down, a known client gets its token without waiting on a connection attempt', async () => {
    const clients = ts.store.clients;
    const get = clients.get.bind(clients);
    let reads = 0;
    clients.get = (clientId) => {
      reads += 1;
      return get(clientId);
    };
    try {
      const response = await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, known);
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(reads, 0, 'the client was not read from the database');
    } finally {
      clients.get = get;
      await proxy.heal();
    }
  });
});

describe('the client cache while the database is unreachable', () => {
  const refused = () => new DatabaseUnavailableError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
  const record = { clientId: 'c1' } as ClientRecord;

  test('an expired entry still authenticates its client when reading it again meets the outage', async () => {
    let now = 0;
    let down = false;
    const clients = { get: async () => (down ? Promise.reject(refused()) : record) } as unknown as ClientRepository;
    const cache = new ClientCache(clients, new MemoryEventBus(), { ttlMs: 5_000, maxEntries: 10, now: () => now });
    assert.equal(await cache.get('c1'), record);
    down = true;
    now = 60_000;
    assert.equal(await cache.get('c1'), record);
  });

  test('a client it has never read is not served: the outage is thrown (503)', async () => {
    const clients = { get: async () => Promise.reject(refused()) } as unknown as ClientRepository;
    const cache = new ClientCache(clients, new MemoryEventBus(), { ttlMs: 5_000, maxEntries: 10, now: () => 0 });
    await assert.rejects(cache.get('c1'), DatabaseUnavailableError);
  });
});

describe('what counts as a database outage', () => {
  const outages: Array<[string, unknown]> = [
    ['connection refused', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })],
    ['host not found', Object.assign(new Error('getaddrinfo ENOTFOUND db'), { code: 'ENOTFOUND' })],
    ['session terminated by the server (57P01 admin_shutdown)', Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })],
    ['server starting or stopping (57P03 cannot_connect_now)', Object.assign(new Error('the database system is starting up'), { code: '57P03' })],
    ['connection exception (08006)', Object.assign(new Error('connection failure'), { code: '08006' })],
    ['too many connections (53300)', Object.assign(new Error('sorry, too many clients already'), { code: '53300' })],
    ['credentials refused (28P01)', Object.assign(new Error('password authentication failed for user "x"'), { code: '28P01' })],
    ['socket closed under a query', new Error('Connection terminated unexpectedly')],
    ['connect timeout', new Error('Connection terminated due to connection timeout')],
    ['pool exhausted', new Error('timeout exceeded when trying to connect')],
  ];
  for (const [name, error] of outages) {
    test(`${name} fails as DatabaseUnavailableError`, async () => {
      const availability = new DatabaseAvailability();
      await assert.rejects(availability.observe(() => Promise.reject(error)), (thrown) => thrown instanceof DatabaseUnavailableError && thrown.cause === error);
      assert.equal(availability.current().up, false);
    });
  }

  const faults: Array<[string, unknown]> = [
    ['unique violation (23505)', Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' })],
    ['syntax error (42601)', Object.assign(new Error('syntax error at or near "SELEC"'), { code: '42601' })],
    ['an application error thrown inside a transaction', new TypeError('x is undefined')],
  ];
  for (const [name, error] of faults) {
    test(`${name} passes through unchanged and counts as the database answering`, async () => {
      const availability = new DatabaseAvailability();
      await assert.rejects(availability.observe(() => Promise.reject(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))));
      await assert.rejects(availability.observe(() => Promise.reject(error)), (thrown) => thrown === error);
      assert.equal(availability.current().up, true);
    });
  }
});
