import { createHash } from 'node:crypto';
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
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The first entry whose hash or link does not match. */
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

function entryHash(prevHash: string, entry: Omit<AuditEntry, 'prevHash' | 'hash'>): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonical(entry)).digest('hex');
}

const COLUMNS = `seq::float8 AS seq, at, event, outcome, actor, client_id AS "clientId", subject, ip, details,
  prev_hash AS "prevHash", hash`;

type Row = Omit<AuditEntry, 'at'> & { at: Date };

function fromRow(row: Row): AuditEntry {
  return { ...row, at: row.at.toISOString() };
}

/** The append-only, hash-chained audit log: each entry's hash covers its content and its predecessor's hash. */
export class AuditLogRepository {
  constructor(private readonly db: Db) {}

  async append(event: AuditEvent, now: Date = new Date()): Promise<AuditEntry> {
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
      await tx.query(
        `INSERT INTO audit_log (seq, at, event, outcome, actor, client_id, subject, ip, details, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [body.seq, body.at, body.event, body.outcome, body.actor, body.clientId, body.subject, body.ip,
          JSON.stringify(body.details), prevHash, hash],
      );
      return { ...body, prevHash, hash };
    });
  }

  async list(options: { afterSeq?: number; limit?: number; event?: string } = {}): Promise<AuditEntry[]> {
    const rows = await this.db.query<Row>(
      `SELECT ${COLUMNS} FROM audit_log WHERE seq > $1 AND ($2::text IS NULL OR event = $2) ORDER BY seq LIMIT $3`,
      [options.afterSeq ?? 0, options.event ?? null, options.limit ?? 100],
    );
    return rows.map(fromRow);
  }

  /** Recomputes the whole chain; any edit, deletion or reordering breaks it. */
  async verify(): Promise<AuditVerification> {
    let prevHash = GENESIS;
    let expectedSeq = 1;
    let afterSeq = 0;
    for (;;) {
      const page = await this.list({ afterSeq, limit: 1000 });
      for (const entry of page) {
        const { prevHash: storedPrev, hash, ...body } = entry;
        if (entry.seq !== expectedSeq) return { ok: false, entries: expectedSeq - 1, brokenAt: expectedSeq, reason: 'missing entry' };
        if (storedPrev !== prevHash) return { ok: false, entries: entry.seq - 1, brokenAt: entry.seq, reason: 'broken link' };
        if (entryHash(prevHash, body) !== hash) return { ok: false, entries: entry.seq - 1, brokenAt: entry.seq, reason: 'content altered' };
        prevHash = hash;
        expectedSeq += 1;
      }
      if (page.length < 1000) return { ok: true, entries: expectedSeq - 1 };
      afterSeq = page[page.length - 1]!.seq;
    }
  }
}
