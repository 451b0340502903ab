import type { Queryable } from '../db/db.js';

/** Replay protection for `private_key_jwt` client assertions (RFC 7523 §3, item 7). */
export class AssertionJtiRepository {
  constructor(private readonly db: Queryable) {}

  /** Records the jti; false when the same client already used it (a replay). */
  async remember(clientId: string, jti: string, expiresAt: Date): Promise<boolean> {
    const rows = await this.db.query(
      `INSERT INTO client_assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3)
       ON CONFLICT (client_id, jti) DO NOTHING RETURNING jti`,
      [clientId, jti, expiresAt],
    );
    return rows.length > 0;
  }

  async purgeExpired(now: Date): Promise<number> {
    const rows = await this.db.query('DELETE FROM client_assertion_jtis WHERE expires_at <= $1 RETURNING jti', [now]);
    return rows.length;
  }
}
