import type { Queryable } from '../db/db.js';

/** Metadata of one signing key; its private half lives in the secrets provider under `secretRef`. */
export interface SigningKeyRecord {
  kid: string;
  alg: string;
  publicJwk: Record<string, unknown>;
  secretRef: string;
  createdAt: Date;
  /** Published in the JWKS from creation; signs from this instant. */
  activatesAt: Date;
  /** Leaves the JWKS at this instant; null while it is the newest key. */
  retiresAt: Date | null;
}

const COLUMNS = `kid, alg, public_jwk AS "publicJwk", secret_ref AS "secretRef", created_at AS "createdAt",
  activates_at AS "activatesAt", retires_at AS "retiresAt"`;

export class SigningKeyRepository {
  constructor(private readonly db: Queryable) {}

  async insert(key: SigningKeyRecord, tx: Queryable = this.db): Promise<void> {
    await tx.query(
      `INSERT INTO signing_keys (kid, alg, public_jwk, secret_ref, created_at, activates_at, retires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [key.kid, key.alg, JSON.stringify(key.publicJwk), key.secretRef, key.createdAt, key.activatesAt, key.retiresAt],
    );
  }

  /** Keys not yet retired at `now`, oldest first. */
  async listLive(now: Date): Promise<SigningKeyRecord[]> {
    return this.db.query<SigningKeyRecord>(
      `SELECT ${COLUMNS} FROM signing_keys WHERE retires_at IS NULL OR retires_at > $1 ORDER BY activates_at, created_at`,
      [now],
    );
  }

  async listAll(): Promise<SigningKeyRecord[]> {
    return this.db.query<SigningKeyRecord>(`SELECT ${COLUMNS} FROM signing_keys ORDER BY activates_at, created_at`);
  }

  /** Schedules retirement for every live key other than `exceptKid` that has none, or an earlier one than given. */
  async scheduleRetirement(exceptKid: string, retiresAt: Date, now: Date, tx: Queryable = this.db): Promise<string[]> {
    const rows = await tx.query<{ kid: string }>(
      `UPDATE signing_keys SET retires_at = $2
       WHERE kid <> $1 AND (retires_at IS NULL OR retires_at > $2) AND (retires_at IS NULL OR retires_at > $3)
       RETURNING kid`,
      [exceptKid, retiresAt, now],
    );
    return rows.map((r) => r.kid);
  }
}
