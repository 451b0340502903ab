import type { AccessTokenClaims, RevocationEvent } from '../../tokens/index.js';
import { refuse, type Refusal } from '../errors.js';

/** Entries without an expiry are kept for good (an unbounded `jti` is rare; an epoch or key is small). */
const FOREVER = Number.POSITIVE_INFINITY;

/**
 * Everything revoked, held in memory for synchronous lookups on the hot path: single tokens
 * (`jti`), refresh families (`sid`), the newest revoke-all epoch and retired signing keys.
 */
export class RevocationSet {
  private readonly jtis = new Map<string, number>();
  private readonly families = new Map<string, number>();
  private readonly retiredKeys = new Map<string, number>();
  /** Epoch seconds; tokens with `iat <= epoch` are revoked (same-second issue is ambiguous, so it is refused). */
  private epoch = Number.NEGATIVE_INFINITY;
  /** The highest seq applied without a gap before it; the pull feed resumes after it. */
  private contiguousSeq = 0;

  /**
   * @param retainAfterExpiryMs the edge's clock skew: the expiry check admits a token until `exp`
   *   plus the skew, so its revocation must be kept that long too.
   */
  constructor(private readonly retainAfterExpiryMs: number) {}

  get lastSeq(): number {
    return this.contiguousSeq;
  }

  get size(): number {
    return this.jtis.size + this.families.size + this.retiredKeys.size;
  }

  /**
   * Applies one event (idempotent). Returns `gap` when events between the last contiguous seq
   * and this one are missing, so the caller pulls the feed to fill them.
   */
  apply(event: RevocationEvent): 'applied' | 'gap' {
    const expiresAt = event.expiresAt === null ? FOREVER : Date.parse(event.expiresAt);
    const until = Number.isNaN(expiresAt) ? FOREVER : expiresAt;
    switch (event.kind) {
      case 'jti':
        this.jtis.set(event.value, until);
        break;
      case 'family':
        this.families.set(event.value, until);
        break;
      case 'key':
        this.retiredKeys.set(event.value, until);
        break;
      case 'epoch': {
        const epoch = Number(event.value);
        if (Number.isFinite(epoch) && epoch > this.epoch) this.epoch = epoch;
        break;
      }
    }
    if (event.seq === this.contiguousSeq + 1) {
      this.contiguousSeq = event.seq;
      return 'applied';
    }
    return event.seq > this.contiguousSeq ? 'gap' : 'applied';
  }

  /** After a complete pull: everything up to `seq` is known, even where the feed skipped numbers. */
  markSyncedTo(seq: number): void {
    if (seq > this.contiguousSeq) this.contiguousSeq = seq;
  }

  check(claims: AccessTokenClaims, kid: string): Refusal | undefined {
    if (this.jtis.has(claims.jti)) return refuse('token_revoked');
    if (claims.sid !== undefined && this.families.has(claims.sid)) return refuse('token_revoked');
    if (claims.iat <= this.epoch) return refuse('token_revoked_by_epoch');
    if (this.retiredKeys.has(kid)) return refuse('token_key_retired');
    return undefined;
  }

  /** Drops entries whose tokens the expiry check refuses anyway: past their expiry plus the skew. */
  purge(nowMs: number): void {
    const expiredBefore = nowMs - this.retainAfterExpiryMs;
    for (const map of [this.jtis, this.families, this.retiredKeys]) {
      for (const [value, until] of map) if (until <= expiredBefore) map.delete(value);
    }
  }
}
