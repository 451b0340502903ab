import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';

const withKey = (store: Store): Store => {
  store.audit.useKey({ key: randomBytes(32), fromSeq: 1 });
  return store;
};

for (const database of DATABASES) {
  describe(`audit log on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = withKey(await database.open());
    });
    after(() => store.close());

    test('an empty log verifies with zero entries', async () => {
      assert.deepEqual(await store.audit.verify(), { ok: true, entries: 0, hmacFromSeq: 1, head: null });
    });

    test('append chains each entry to its predecessor, starting from the genesis hash', async () => {
      const first = await store.audit.append({ event: 'admin.client_created', outcome: 'success', actor: 'admin', clientId: 'c1', ip: '127.0.0.1', details: { authMethod: 'client_secret_basic' } });
      const second = await store.audit.append({ event: 'client_auth_failed', outcome: 'failure', clientId: 'c1', details: { reason: 'bad secret', nested: { b: 2, a: [1, 'x'] } } });
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, '0'.repeat(64));
      assert.match(first.hash, /^[0-9a-f]{64}$/);
      assert.equal(second.seq, 2);
      assert.equal(second.prevHash, first.hash);
      assert.notEqual(second.hash, first.hash);
      const listed = await store.audit.list();
      assert.deepEqual(listed.slice(0, 2).map((e) => e.hash), [first.hash, second.hash]);
      assert.deepEqual(listed[1]!.details, { reason: 'bad secret', nested: { b: 2, a: [1, 'x'] } });
      assert.equal(listed[0]!.actor, 'admin');
      assert.equal(listed[1]!.actor, null);
      assert.deepEqual(await store.audit.verify(), { ok: true, entries: 2, hmacFromSeq: 1, head: { seq: 2, hash: second.hash } });
    });

    test('list filters by event and pages by seq', async () => {
      for (let i = 0; i < 3; i += 1) await store.audit.append({ event: 'paging', outcome: 'success', details: { i } });
      const paging = await store.audit.list({ event: 'paging' });
      assert.equal(paging.length, 3);
      assert.deepEqual(paging.map((e) => e.details.i), [0, 1, 2]);
      const afterFirst = await store.audit.list({ event: 'paging', afterSeq: paging[0]!.seq, limit: 1 });
      assert.deepEqual(afterFirst.map((e) => e.seq), [paging[1]!.seq]);
    });

    test('the append-only trigger refuses UPDATE and DELETE of audit rows', async () => {
      await store.audit.append({ event: 'guarded', outcome: 'success' });
      await assert.rejects(store.db.query(`UPDATE audit_log SET outcome = 'failure' WHERE event = 'guarded'`), /append-only/);
      await assert.rejects(store.db.query(`DELETE FROM audit_log WHERE event = 'guarded'`), /append-only/);
      await assert.rejects(store.db.query('DELETE FROM audit_log'), /append-only/);
      assert.equal((await store.audit.list({ event: 'guarded' }))[0]!.outcome, 'success');
      assert.equal((await store.audit.verify()).ok, true);
    });

    test('concurrent appends keep one gapless, valid chain', async () => {
      const before = (await store.audit.verify()).entries;
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.audit.append({ event: 'concurrent', outcome: 'success', details: { i } })));
      const verification = await store.audit.verify();
      assert.equal(verification.ok, true);
      assert.equal(verification.entries, before + 20);
      const seqs = (await store.audit.list({ limit: 1000 })).map((e) => e.seq);
      assert.deepEqual(seqs, Array.from({ length: before + 20 }, (_, i) => i + 1));
    });

    test('verify detects an entry whose content was altered behind the trigger', async () => {
      const own = withKey(await database.open());
      try {
        await own.audit.append({ event: 'a', outcome: 'success' });
        await own.audit.append({ event: 'b', outcome: 'success', details: { amount: 1 } });
        await own.audit.append({ event: 'c', outcome: 'success' });
        // An attacker with table-owner rights disables the triggers and edits history.
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query(`UPDATE audit_log SET details = '{"amount": 1000}' WHERE seq = 2`);
        const altered = await own.audit.verify();
        assert.deepEqual([altered.ok, altered.entries, altered.brokenAt, altered.reason], [false, 1, 2, 'content altered']);
        await own.db.query('DELETE FROM audit_log WHERE seq = 2');
        const afterDelete = await own.audit.verify();
        assert.equal(afterDelete.ok, false);
        assert.equal(afterDelete.brokenAt, 2);
      } finally {
        await own.close();
      }
    });
  });
}
