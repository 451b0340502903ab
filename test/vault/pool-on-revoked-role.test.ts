import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { PostgresDb } from '../../src/store/index.js';
import { adminQuery, createTestSchema, TEST_DATABASE_URL } from '../support/databases.js';
import { PgFaultProxy } from '../support/pg-fault-proxy.js';

/**
 * What a revoked Vault lease does to the PostgreSQL pool, one case at a time: the role is gone
 * (new connections are refused with 28000) and its sessions are terminated (57P01) wherever they
 * were. Each case says what the pool may safely do again, and checks that a write lands once.
 */
describe('PostgresDb when its role is revoked under it', () => {
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let proxy: PgFaultProxy;
  const dbs: PostgresDb[] = [];

  const admin = adminQuery;
  const notes = async (note: string) => Number((await admin(`SELECT count(*)::int AS n FROM ${schema.schema}.items WHERE note = $1`, [note]))[0]?.n);
  function open(options: Partial<ConstructorParameters<typeof PostgresDb>[0]> = {}): PostgresDb {
    const db = new PostgresDb({ connectionString: proxy.url(TEST_DATABASE_URL), poolSize: 4, schema: schema.schema, ...options });
    dbs.push(db);
    return db;
  }

  before(async () => {
    schema = await createTestSchema();
    await admin(`CREATE TABLE ${schema.schema}.items (id serial PRIMARY KEY, note text NOT NULL)`);
    proxy = await PgFaultProxy.start(TEST_DATABASE_URL);
  });
  afterEach(async () => {
    await Promise.all(dbs.splice(0).map((db) => db.close().catch(() => undefined)));
  });
  after(async () => {
    await proxy.close();
    await schema.drop();
  });

  it('replaces credentials refused while connecting (nothing ran), once for all the callers refused together', async () => {
    const rejected: string[] = [];
    const db: PostgresDb = open({
      credentials: { user: 'v-revoked-role', password: 'gone' },
      onCredentialsRejected: async (user) => {
        rejected.push(user);
        await db.swapCredentials({ user: 'postgres', password: '' });
      },
    });
    const results = await Promise.all(Array.from({ length: 6 }, () => db.query<{ n: number }>('SELECT 1 AS n')));
    assert.deepEqual(results.map((rows) => rows[0]?.n), [1, 1, 1, 1, 1, 1]);
    assert.deepEqual(rejected, ['v-revoked-role']);
  });

  it('passes the refusal on when the credentials cannot be replaced', async () => {
    const db = open({ credentials: { user: 'v-revoked-role', password: 'gone' }, onCredentialsRejected: async () => undefined });
    await assert.rejects(db.query('SELECT 1'), /role "v-revoked-role" does not exist/);
  });

  it('runs a transaction again when its session is terminated before COMMIT: the server rolled it back, and the row lands once', async () => {
    const db = open();
    let runs = 0;
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.query('INSERT INTO items (note) VALUES ($1)', ['terminated-mid-transaction']);
      if (runs === 1) {
        const [row] = await tx.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
        await admin('SELECT pg_terminate_backend($1)', [row!.pid]);
      }
      await tx.query('SELECT 1');
      return runs;
    });
    assert.equal(result, 2);
    assert.equal(await notes('terminated-mid-transaction'), 1);
  });

  it('runs a transaction again when its COMMIT never reached the server (PostgreSQL reports it aborted)', async () => {
    const db = open();
    let runs = 0;
    proxy.cutBeforeServerReceives('COMMIT');
    await db.transaction(async (tx) => {
      runs += 1;
      await tx.query('INSERT INTO items (note) VALUES ($1)', ['commit-not-received']);
    });
    assert.equal(proxy.pending, false, 'the connection was cut');
    assert.equal(runs, 2);
    assert.equal(await notes('commit-not-received'), 1);
  });

  it('does not run a transaction again when the server committed but the answer was lost (PostgreSQL reports it committed)', async () => {
    const db = open();
    let runs = 0;
    proxy.cutAfterServerCompletes('COMMIT');
    const result = await db.transaction(async (tx) => {
      runs += 1;
      await tx.query('INSERT INTO items (note) VALUES ($1)', ['commit-answer-lost']);
      return 'done';
    });
    assert.equal(proxy.pending, false, 'the connection was cut');
    assert.equal(result, 'done');
    assert.equal(runs, 1);
    assert.equal(await notes('commit-answer-lost'), 1, 'written once, not twice');
  });

  it('sends a read again when its connection is lost, but never a write, which may have run', async () => {
    const db = open();
    proxy.cutBeforeServerReceives('SELECT count(*)::int AS n FROM items');
    assert.equal((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM items')).length, 1);
    assert.equal(proxy.pending, false);

    proxy.cutBeforeServerReceives("INSERT INTO items (note) VALUES ('outcome-unknown')");
    await assert.rejects(db.query("INSERT INTO items (note) VALUES ('outcome-unknown')"), /Connection terminated/);
    assert.equal(await notes('outcome-unknown'), 0, 'not sent a second time');
  });
});
