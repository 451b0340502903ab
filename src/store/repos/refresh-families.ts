import type { Queryable } from '../db/db.js';

export interface RefreshFamily {
  familyId: string;
  clientId: string;
  subject: string;
  scope: string;
  audience: string[];
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
  revokedReason: string | null;
}

export type RotationResult =
  | { outcome: 'rotated'; family: RefreshFamily; generation: number }
  /** A spent token came back: the family is now revoked (it may have been already). */
  | { outcome: 'reused'; family: RefreshFamily; newlyRevoked: boolean }
  | { outcome: 'revoked' | 'expired'; family: RefreshFamily }
  | { outcome: 'unknown' };

const FAMILY_COLUMNS = `family_id AS "familyId", client_id AS "clientId", subject, scope, audience,
  created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt", revoked_reason AS "revokedReason"`;

/**
 * Refresh-token families (RFC 9700 §4.14.2). Every use rotates the token; a spent token coming
 * back revokes the whole family. Only SHA-256 hashes of tokens are stored.
 */
export class RefreshFamilyRepository {
  constructor(private readonly db: Queryable & { transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> }) {}

  async create(family: Omit<RefreshFamily, 'revokedAt' | 'revokedReason'>, tokenHash: Buffer): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO refresh_families (family_id, client_id, subject, scope, audience, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [family.familyId, family.clientId, family.subject, family.scope, family.audience, family.createdAt, family.expiresAt],
      );
      await tx.query(
        'INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at) VALUES ($1, $2, 0, $3)',
        [tokenHash, family.familyId, family.createdAt],
      );
    });
  }

  /**
   * Spends `tokenHash` and records `nextHash` as its successor, in one transaction. The
   * conditional UPDATE is the arbiter: of two concurrent uses exactly one finds `used_at` null.
   * `hooks.onReuse` runs inside the same transaction, so the family's revocation and its feed
   * entry commit together; `hooks.validate` may throw to refuse the rotation and roll it back,
   * leaving the presented token unspent.
   */
  async rotate(
    tokenHash: Buffer,
    nextHash: Buffer,
    now: Date,
    hooks: {
      validate(family: RefreshFamily): void;
      onReuse(tx: Queryable, family: RefreshFamily): Promise<void>;
    },
  ): Promise<RotationResult> {
    return this.db.transaction(async (tx) => {
      const spent = await tx.query<{ familyId: string; generation: number }>(
        `UPDATE refresh_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL
         RETURNING family_id AS "familyId", generation`,
        [tokenHash, now],
      );
      if (spent[0] === undefined) {
        const known = await tx.query<{ familyId: string }>(
          'SELECT family_id AS "familyId" FROM refresh_tokens WHERE token_hash = $1',
          [tokenHash],
        );
        if (known[0] === undefined) return { outcome: 'unknown' };
        const revoked = await this.revokeIn(tx, known[0].familyId, 'refresh_token_reuse', now);
        const family = await this.getIn(tx, known[0].familyId);
        if (revoked) await hooks.onReuse(tx, family!);
        return { outcome: 'reused', family: family!, newlyRevoked: revoked };
      }
      const family = (await this.getIn(tx, spent[0].familyId, true))!;
      if (family.revokedAt !== null) return { outcome: 'revoked', family };
      if (family.expiresAt <= now) return { outcome: 'expired', family };
      hooks.validate(family);
      const generation = spent[0].generation + 1;
      await tx.query(
        'INSERT INTO refresh_tokens (token_hash, family_id, generation, issued_at) VALUES ($1, $2, $3, $4)',
        [nextHash, family.familyId, generation, now],
      );
      return { outcome: 'rotated', family, generation };
    });
  }

  async get(familyId: string): Promise<RefreshFamily | undefined> {
    return this.getIn(this.db, familyId);
  }

  /** The family of a live (unspent) refresh token. */
  async findByActiveToken(tokenHash: Buffer): Promise<RefreshFamily | undefined> {
    const rows = await this.db.query<RefreshFamily>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families
       WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND used_at IS NULL)`,
      [tokenHash],
    );
    return rows[0];
  }

  /** Revokes a family; returns false when it was already revoked or does not exist. */
  async revoke(familyId: string, reason: string, now: Date, tx: Queryable = this.db): Promise<boolean> {
    return this.revokeIn(tx, familyId, reason, now);
  }

  /** Revokes every live family created at or before `now` (revoke-all); returns how many. */
  async revokeAll(reason: string, now: Date): Promise<number> {
    const rows = await this.db.query(
      `UPDATE refresh_families SET revoked_at = $1, revoked_reason = $2
       WHERE revoked_at IS NULL AND created_at <= $1 RETURNING family_id`,
      [now, reason],
    );
    return rows.length;
  }

  /** Revokes every live family of one client (disabled, deleted or revoked by an operator); returns how many. */
  async revokeClient(clientId: string, reason: string, now: Date, tx: Queryable = this.db): Promise<number> {
    const rows = await tx.query(
      `UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3
       WHERE client_id = $1 AND revoked_at IS NULL RETURNING family_id`,
      [clientId, now, reason],
    );
    return rows.length;
  }

  async purgeExpired(now: Date): Promise<number> {
    const rows = await this.db.query('DELETE FROM refresh_families WHERE expires_at <= $1 RETURNING family_id', [now]);
    return rows.length;
  }

  private async revokeIn(tx: Queryable, familyId: string, reason: string, now: Date): Promise<boolean> {
    const rows = await tx.query(
      `UPDATE refresh_families SET revoked_at = $2, revoked_reason = $3
       WHERE family_id = $1 AND revoked_at IS NULL RETURNING family_id`,
      [familyId, now, reason],
    );
    return rows.length > 0;
  }

  private async getIn(tx: Queryable, familyId: string, forUpdate = false): Promise<RefreshFamily | undefined> {
    const rows = await tx.query<RefreshFamily>(
      `SELECT ${FAMILY_COLUMNS} FROM refresh_families WHERE family_id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
      [familyId],
    );
    return rows[0];
  }
}
