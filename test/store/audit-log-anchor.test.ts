import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { AuditLogRepository, type AuditEntry, type AuditHead, type AuditKey, type Store } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';

/**
 * Attacks by someone with direct SQL access as the table owner (or a superuser), but without the
 * audit key, which lives in the secrets provider. The hash chain alone they can recompute; the
 * HMACs and a head kept outside the database they cannot.
 */

/** The chain's hash as the (public) source computes it: what an attacker recomputes after an edit. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
function plainHash(prevHash: string, entry: AuditEntry): string {
  const { prevHash: _p, hash: _h, hmac: _m, ...body } = entry;
  return createHash('sha256').update(prevHash).update('\n').update(canonical(body)).digest('hex');
}

for (const database of DATABASES) {
  describe(`audit log anchoring on ${database.name}`, () => {
    let store: Store;
    let key: AuditKey;
    before(async () => {
      store = await database.open();
      key = { key: randomBytes(32), fromSeq: 1 };
      store.audit.useKey(key);
    });
    after(() => store.close());

    /** A fresh log of `count` entries; returns its head as the operator saved it. */
    async function freshLog(count: number): Promise<{ own: Store; head: AuditHead }> {
      const own = await database.open();
      own.audit.useKey(key);
      let last: AuditEntry | undefined;
      for (let i = 1; i <= count; i += 1) last = await own.audit.append({ event: 'admin_action', outcome: 'success', actor: 'admin', details: { i } });
      return { own, head: { seq: last!.seq, hash: last!.hash } };
    }

    test('TRUNCATE is refused by the statement trigger', async () => {
      await store.audit.append({ event: 'kept', outcome: 'success' });
      await assert.rejects(store.db.query('TRUNCATE audit_log'), /append-only/);
      assert.equal((await store.audit.list({ event: 'kept' })).length, 1);
    });

    test('DELETE FROM audit_log is refused, even one that matches no row', async () => {
      await store.audit.append({ event: 'kept', outcome: 'success' });
      await assert.rejects(store.db.query('DELETE FROM audit_log'), /append-only/);
      await assert.rejects(store.db.query('DELETE FROM audit_log WHERE seq < 0'), /append-only/);
      await assert.rejects(store.db.query(`UPDATE audit_log SET outcome = 'failure' WHERE seq < 0`), /append-only/);
      assert.equal((await store.audit.verify()).ok, true);
    });

    test('deleting the newest entries behind disabled triggers fails verification against the saved head, naming the gap', async () => {
      const { own, head } = await freshLog(5);
      try {
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query('DELETE FROM audit_log WHERE seq > 3');
        await own.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
        assert.equal((await own.audit.verify()).ok, true, 'what remains is a valid chain: only the saved head shows the loss');
        const result = await own.audit.verify(head);
        assert.equal(result.ok, false);
        assert.equal(result.brokenAt, 4);
        assert.match(result.reason!, /ends at entry 3, before the saved head 5: entries 4-5 were deleted/);
      } finally {
        await own.close();
      }
    });

    test('entries deleted and then written again do not pass for the saved head', async () => {
      const { own, head } = await freshLog(4);
      try {
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query('DELETE FROM audit_log WHERE seq > 2');
        await own.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
        // The service keeps appending, so the log grows past the saved head's sequence number again.
        for (let i = 0; i < 3; i += 1) await own.audit.append({ event: 'later', outcome: 'success' });
        const result = await own.audit.verify(head);
        assert.equal(result.ok, false);
        assert.equal(result.brokenAt, 4);
        assert.match(result.reason!, /not the saved head/);
      } finally {
        await own.close();
      }
    });

    test('TRUNCATE by a superuser who disabled the triggers fails verification against the saved head', async () => {
      const { own, head } = await freshLog(3);
      try {
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query('TRUNCATE audit_log');
        await own.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
        const result = await own.audit.verify(head);
        assert.equal(result.ok, false);
        assert.match(result.reason!, /ends at entry 0, before the saved head 3: entries 1-3 were deleted or the log truncated/);
      } finally {
        await own.close();
      }
    });

    test('an entry rewritten with the hash chain recomputed, but without the key, fails its HMAC', async () => {
      const { own } = await freshLog(3);
      try {
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        const entries = await own.audit.list();
        let prevHash = entries[0]!.hash;
        for (const entry of entries.slice(1)) {
          const forged: AuditEntry = entry.seq === 2 ? { ...entry, details: { i: 1000 } } : entry;
          const hash = plainHash(prevHash, forged);
          await own.db.query('UPDATE audit_log SET details = $1, prev_hash = $2, hash = $3 WHERE seq = $4', [JSON.stringify(forged.details), prevHash, hash, entry.seq]);
          prevHash = hash;
        }
        // The forgery is a consistent chain: a verifier that skips the HMACs accepts it.
        const chainOnly = new AuditLogRepository(own.db);
        chainOnly.useKey({ key: randomBytes(32), fromSeq: Number.MAX_SAFE_INTEGER });
        assert.equal((await chainOnly.verify()).ok, true);
        const result = await own.audit.verify();
        assert.deepEqual([result.ok, result.brokenAt, result.reason], [false, 2, 'HMAC mismatch: written without the audit key']);
      } finally {
        await own.close();
      }
    });

    test('an entry appended with direct SQL and a correct chain hash, but no HMAC, is refused', async () => {
      const { own, head } = await freshLog(2);
      try {
        const body = { seq: 3, at: new Date().toISOString(), event: 'client_created', outcome: 'success' as const, actor: 'admin', clientId: 'backdoor', subject: null, ip: null, details: {} };
        const hash = plainHash(head.hash, { ...body, prevHash: head.hash, hash: '', hmac: null });
        await own.db.query(
          `INSERT INTO audit_log (seq, at, event, outcome, actor, client_id, subject, ip, details, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
          [body.seq, body.at, body.event, body.outcome, body.actor, body.clientId, body.subject, body.ip, '{}', head.hash, hash],
        );
        const result = await own.audit.verify(head);
        assert.deepEqual([result.ok, result.brokenAt, result.reason], [false, 3, 'no HMAC: written without the audit key']);
      } finally {
        await own.close();
      }
    });

    test('entries older than the audit key verify by their chain alone, and verify says from where HMACs start', async () => {
      const { own } = await freshLog(3);
      try {
        // As left by a version before the HMAC: the first two entries carry none.
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query('UPDATE audit_log SET hmac = NULL WHERE seq < 3');
        await own.db.exec('ALTER TABLE audit_log ENABLE TRIGGER ALL');
        const upgraded = new AuditLogRepository(own.db);
        upgraded.useKey({ key: key.key, fromSeq: 3 });
        const result = await upgraded.verify();
        assert.deepEqual([result.ok, result.entries, result.hmacFromSeq], [true, 3, 3]);
        // From the key's first entry on, a missing HMAC is a forgery, not an old entry.
        await own.db.exec('ALTER TABLE audit_log DISABLE TRIGGER ALL');
        await own.db.query('UPDATE audit_log SET hmac = NULL WHERE seq = 3');
        assert.equal((await upgraded.verify()).brokenAt, 3);
      } finally {
        await own.close();
      }
    });

    test('without the audit key the log neither appends nor verifies', async () => {
      const keyless = new AuditLogRepository(store.db);
      await assert.rejects(keyless.append({ event: 'x', outcome: 'success' }), /audit key is not loaded/);
      await assert.rejects(keyless.verify(), /audit key is not loaded/);
    });
  });
}
