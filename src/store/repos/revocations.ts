import type { Queryable } from '../db/db.js';

export const REVOCATION_KINDS = ['jti', 'family', 'epoch', 'key', 'client'] as const;
export type RevocationKind = (typeof REVOCATION_KINDS)[number];

/**
 * One entry of the revocation feed. `jti`: one access token; `family`: a refresh family and every
 * access token minted from it (their `sid`); `epoch`: every token issued before `value` (epoch
 * seconds); `key`: every token signed by key `value`; `client`: every token of one client issued
 * at or before a cutoff (`value` is `<cutoff seconds>:<client_id>`).
 */
export interface Revocation {
  seq: number;
  kind: RevocationKind;
  value: string;
  /** When the entry can be forgotten: the latest expiry of anything it revokes. */
  expiresAt: Date | null;
  createdAt: Date;
}

const COLUMNS = `seq::float8 AS seq, kind, value, expires_at AS "expiresAt", created_at AS "createdAt"`;

export class RevocationRepository {
  constructor(private readonly db: Queryable) {}

  async add(kind: RevocationKind, value: string, expiresAt: Date | null, tx: Queryable = this.db): Promise<Revocation> {
    const rows = await tx.query<Revocation>(
      `INSERT INTO revocations (kind, value, expires_at) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
      [kind, value, expiresAt],
    );
    return rows[0]!;
  }

  /** Entries after `seq` that expire after `expiredBefore` (or never), oldest first. */
  async since(seq: number, limit: number, expiredBefore: Date): Promise<Revocation[]> {
    return this.db.query<Revocation>(
      `SELECT ${COLUMNS} FROM revocations
       WHERE seq > $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY seq LIMIT $3`,
      [seq, expiredBefore, limit],
    );
  }

  async isRevoked(kind: RevocationKind, value: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM revocations WHERE kind = $1 AND value = $2 LIMIT 1', [kind, value]);
    return rows.length > 0;
  }

  /** The newest revoke-all epoch in epoch seconds, or 0. */
  async currentEpoch(): Promise<number> {
    const rows = await this.db.query<{ epoch: number | null }>(
      `SELECT max(value::bigint)::float8 AS epoch FROM revocations WHERE kind = 'epoch'`,
    );
    return rows[0]?.epoch ?? 0;
  }

  /**
   * The newest cutoff among `client` entries for `clientId` (0 if none): its tokens with `iat` at
   * or before it are revoked. Parses the value as `clientRevocationValue` (src/tokens) writes it.
   */
  async clientCutoff(clientId: string): Promise<number> {
    const rows = await this.db.query<{ cutoff: number | null }>(
      `SELECT max(split_part(value, ':', 1)::bigint)::float8 AS cutoff FROM revocations
       WHERE kind = 'client' AND substr(value, strpos(value, ':') + 1) = $1`,
      [clientId],
    );
    return rows[0]?.cutoff ?? 0;
  }

  /** The values of every `client` entry not yet purged. */
  async clientEntries(): Promise<string[]> {
    const rows = await this.db.query<{ value: string }>(`SELECT value FROM revocations WHERE kind = 'client'`);
    return rows.map((row) => row.value);
  }

  async latestSeq(): Promise<number> {
    const rows = await this.db.query<{ seq: number | null }>('SELECT max(seq)::float8 AS seq FROM revocations');
    return rows[0]?.seq ?? 0;
  }

  /** Deletes entries that expired at or before `expiredBefore`. */
  async purgeExpired(expiredBefore: Date): Promise<number> {
    const rows = await this.db.query('DELETE FROM revocations WHERE expires_at <= $1 RETURNING seq', [expiredBefore]);
    return rows.length;
  }
}
