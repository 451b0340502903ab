import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../db/db.js';

export interface AuditEvent {
  event: string;
  outcome: 'success' | 'failure';
  actor?: string | null;
  clientId?: string | null;
  subject?: string | null;
  ip?: string | null;
  /** Free-form context; never a token, secret or key. */
  details?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEvent, 'details'>> {
  seq: number;
  at: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** HMAC-SHA-256 of `hash` under the audit key; null on entries older than the key. */
  hmac: string | null;
}

/**
 * The key from the secrets provider that HMACs each entry. Without it, someone who can write the
 * table can still recompute a consistent hash chain over forged rows; with it they cannot.
 */
export interface AuditKey {
  key: Buffer;
  /** The first entry the key covers: entries before it were written before it existed. */
  fromSeq: number;
}

/**
 * The newest entry, as an operator keeps it outside the database (`<seq>:<hash>`). A chain that
 * ends before it lost its newest entries, which the chain and the HMACs alone cannot show.
 */
export interface AuditHead {
  seq: number;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries verified (on failure: before the broken one). */
  entries: number;
  /** Entries from this seq on carry an HMAC that was checked; earlier ones predate the audit key. */
  hmacFromSeq: number;
  /** The last entry verified, to keep outside the database and pass back as `expectedHead`. */
  head: AuditHead | null;
  /** The first entry that is altered, missing, forged, or (for a head check) gone. */
  brokenAt?: number;
  reason?: string;
}

const GENESIS = '0'.repeat(64);
const AUDIT_LOCK = 0x61756474;

/** Key order is fixed so the hash of an entry is the same wherever it is recomputed. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function entryHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash' | 'hmac'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical(entry)).digest('hex');
}

function entryHmac(key: Buffer, hash: string): string {
  return createHmac('sha256', key).update(hash).digest('hex');
}

function hmacMatches(key: Buffer, hash: string, stored: string | null): boolean {
  if (stored === null || !/^[0-9a-f]{64}$/.test(stored)) return false;
  return timingSafeEqual(Buffer.from(entryHmac(key, hash), 'hex'), Buffer.from(stored, 'hex'));
}

const COLUMNS = `seq::float8 AS seq, at, event, outcome, actor, client_id AS "clientId", subject, ip, details,
  prev_hash AS "prevHash", hash, hmac`;

type Row = Omit<AuditEntry, 'at'> & { at: Date };

function fromRow(row: Row): AuditEntry {
  return { ...row, at: row.at.toISOString() };
}

/**
 * The append-only, hash-chained audit log: each entry's hash covers its content and its
 * predecessor's hash, and its HMAC under the audit key proves it was written by the service.
 */
export class AuditLogRepository {
  private auditKey: AuditKey | undefined;

  constructor(private readonly db: Db) {}

  /** Set once at start from the secrets provider, before anything is appended or verified. */
  useKey(key: AuditKey): void {
    this.auditKey = key;
  }

  /** Refuses to write or verify without the key: an entry without its HMAC would be indistinguishable from a forged one. */
  private key(): AuditKey {
    if (this.auditKey === undefined) throw new Error('audit log: the audit key is not loaded');
    return this.auditKey;
  }

  async append(event: AuditEvent, now: Date = new Date()): Promise<AuditEntry> {
    const { key } = this.key();
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
      const last = await tx.query<{ seq: number; hash: string }>(
        'SELECT seq::float8 AS seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1',
      );
      const body = {
        seq: (last[0]?.seq ?? 0) + 1,
        at: now.toISOString(),
        event: event.event,
        outcome: event.outcome,
        actor: event.actor ?? null,
        clientId: event.clientId ?? null,
        subject: event.subject ?? null,
        ip: event.ip ?? null,
        details: event.details ?? {},
      };
      const prevHash = last[0]?.hash ?? GENESIS;
      const hash = entryHash(prevHash, body);
      const hmac = entryHmac(key, hash);
      await tx.query(
        `INSERT INTO audit_log (seq, at, event, outcome, actor, client_id, subject, ip, details, prev_hash, hash, hmac)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
        [body.seq, body.at, body.event, body.outcome, body.actor, body.clientId, body.subject, body.ip,
          JSON.stringify(body.details), prevHash, hash, hmac],
      );
      return { ...body, prevHash, hash, hmac };
    });
  }

  /** The newest entry's seq and hash; null while the log is empty. */
  async head(): Promise<AuditHead | null> {
    const rows = await this.db.query<AuditHead>('SELECT seq::float8 AS seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
    return rows[0] ?? null;
  }

  async list(options: { afterSeq?: number; limit?: number; event?: string } = {}): Promise<AuditEntry[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 AND ($2::text IS NULL OR event = $2) ORDER BY seq LIMIT $3`,
      [options.afterSeq ?? 0, options.event ?? null, options.limit ?? 100],
    );
    return rows.map(fromRow);
  }

  /**
   * Recomputes the whole chain and checks each HMAC: an edit, a deletion, a reordering or a row
   * written without the key breaks it. With `expectedHead` (kept outside the database), the chain
   * must also still reach that entry unchanged, which catches deleted newest entries and a
   * truncated log.
   */
  async verify(expectedHead?: AuditHead): Promise<AuditVerification> {
    const { key, fromSeq } = this.key();
    let head: AuditHead | null = null;
    const broken = (seq: number, reason: string): AuditVerification => ({ ok: false, entries: seq - 1, hmacFromSeq: fromSeq, head, brokenAt: seq, reason });
    let prevHash = GENESIS;
    let expectedSeq = 1;
    let afterSeq = 0;
    for (;;) {
      const page = await this.list({ afterSeq, limit: 1000 });
      for (const entry of page) {
        const { prevHash: storedPrev, hash, hmac, ...body } = entry;
        if (entry.seq !== expectedSeq) return broken(expectedSeq, 'missing entry');
        if (storedPrev !== prevHash) return broken(entry.seq, 'broken link');
        if (entryHash(prevHash, body) !== hash) return broken(entry.seq, 'content altered');
        if (entry.seq >= fromSeq && !hmacMatches(key, hash, hmac)) {
          return broken(entry.seq, hmac === null ? 'no HMAC: written without the audit key' : 'HMAC mismatch: written without the audit key');
        }
        if (expectedHead !== undefined && entry.seq === expectedHead.seq && hash !== expectedHead.hash) {
          return broken(entry.seq, `not the saved head: entry ${entry.seq} was replaced (entries deleted and written again, or the log rewritten)`);
        }
        head = { seq: entry.seq, hash };
        prevHash = hash;
        expectedSeq += 1;
      }
      if (page.length < 1000) break;
      afterSeq = page[page.length - 1]!.seq;
    }
    const entries = expectedSeq - 1;
    if (expectedHead !== undefined && entries < expectedHead.seq) {
      return broken(entries + 1, `the log ends at entry ${entries}, before the saved head ${expectedHead.seq}: entries ${entries + 1}-${expectedHead.seq} were deleted or the log truncated`);
    }
    return { ok: true, entries, hmacFromSeq: fromSeq, head };
  }
}
