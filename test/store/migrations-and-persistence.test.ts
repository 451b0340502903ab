import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrate, MIGRATIONS, openStore, type Store } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';

for (const database of DATABASES) {
  describe(`migrations on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await database.open();
      store.audit.useKey({ key: randomBytes(32), fromSeq: 1 });
    });
    after(() => store.close());

    test('running migrate again on a migrated database is a no-op that keeps the data', async () => {
      await store.audit.append({ event: 'before-remigrate', outcome: 'success' });
      assert.deepEqual(await migrate(store.db), []);
      assert.deepEqual(await migrate(store.db), []);
      const versions = await store.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
      assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
      assert.equal((await store.audit.list({ event: 'before-remigrate' })).length, 1);
    });

    test('concurrent migrate calls on one database apply nothing twice', async () => {
      const results = await Promise.all([migrate(store.db), migrate(store.db), migrate(store.db)]);
      assert.deepEqual(results, [[], [], []]);
    });
  });
}

describe('PGlite data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-pglite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('data written before close is there after reopening the directory, and reopening does not re-run migrations', async () => {
    const auditKey = { key: randomBytes(32), fromSeq: 1 };
    const first = await openStore({ dataDir: dir });
    first.audit.useKey(auditKey);
    const secretHash = randomBytes(32);
    await first.clients.create({
      clientId: 'persisted-client', name: 'survives restart', authMethod: 'client_secret_basic', secretHash, jwks: null,
      grantTypes: ['client_credentials'], scopes: ['read'], audiences: ['api'], accessTokenTtlSeconds: null, boundIdentity: null, disabled: false,
    });
    await first.revocations.add('epoch', '1234', null);
    const entry = await first.audit.append({ event: 'persisted', outcome: 'success' });
    await first.close();

    const second = await openStore({ dataDir: dir });
    second.audit.useKey(auditKey);
    try {
      const client = await second.clients.get('persisted-client');
      assert.equal(client!.name, 'survives restart');
      assert.ok(client!.secretHash!.equals(secretHash));
      assert.equal(await second.revocations.currentEpoch(), 1234);
      const entries = await second.audit.list();
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.hash, entry.hash);
      assert.deepEqual(await second.audit.verify(), { ok: true, entries: 1, hmacFromSeq: 1, head: { seq: 1, hash: entry.hash } });
      assert.deepEqual(await migrate(second.db), []);
      // The chain continues across the restart.
      const next = await second.audit.append({ event: 'after-restart', outcome: 'success' });
      assert.equal(next.prevHash, entry.hash);
    } finally {
      await second.close();
    }
  });
});

