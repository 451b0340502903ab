import { parseClientRevocation, type AccessTokenClaims, type RevocationEvent } from '../../tokens/index.js';

/**
 * Per client, the newest cutoff of its `client` revocations (a client disabled, deleted or revoked
 * by an operator): its tokens with `iat <= cutoff` are refused. The cutoff is in seconds, like
 * `iat`; a token from the cutoff's own second is refused (ambiguous), and token-service mints the
 * client's next tokens with `iat > cutoff`. Keyed by `client_id`, so a client deleted and created
 * again under the same id does not bring its old tokens back.
 */
export class ClientRevocations {
  private readonly cutoffs = new Map<string, { cutoff: number; until: number }>();

  /**
   * @param graceMs how long past an entry's expiry it is kept: the edge admits a token until
   *   `exp` plus its clock skew, so the entry must outlive the tokens it revokes by as much.
   */
  constructor(private readonly graceMs: number) {}

  get size(): number {
    return this.cutoffs.size;
  }

  /** Applies a `client` event (idempotent, a later cutoff wins); other kinds are not its business. */
  apply(event: RevocationEvent): void {
    if (event.kind !== 'client') return;
    const revocation = parseClientRevocation(event.value);
    if (revocation === undefined) return;
    const expiresAt = event.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(event.expiresAt);
    const until = Number.isNaN(expiresAt) ? Number.POSITIVE_INFINITY : expiresAt;
    const known = this.cutoffs.get(revocation.clientId);
    this.cutoffs.set(revocation.clientId, {
      cutoff: Math.max(revocation.cutoff, known?.cutoff ?? Number.NEGATIVE_INFINITY),
      until: Math.max(until, known?.until ?? Number.NEGATIVE_INFINITY),
    });
  }

  isRevoked(claims: AccessTokenClaims): boolean {
    const entry = this.cutoffs.get(claims.client_id);
    return entry !== undefined && claims.iat <= entry.cutoff;
  }

  /** Drops entries whose tokens have all expired, skew included. */
  purge(nowMs: number): void {
    for (const [clientId, entry] of this.cutoffs) if (entry.until + this.graceMs <= nowMs) this.cutoffs.delete(clientId);
  }
}
