import type { VerifiedToken } from './verification.js';

/**
 * Tokens whose signature and token-level claims already passed, by their exact string, so a
 * repeated token skips parsing and signature verification. Expiry, revocation and route policy
 * are still checked on every hit. Bounded: the oldest entry goes first when full.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, VerifiedToken>();

  constructor(private readonly maxEntries: number) {}

  get(token: string): VerifiedToken | undefined {
    return this.entries.get(token);
  }

  set(token: string, verified: VerifiedToken): void {
    if (this.maxEntries === 0) return;
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(token, verified);
  }

  /** Drops entries that expired; called on a timer so expired tokens do not hold memory. */
  purgeExpired(nowSeconds: number, skewSeconds: number): void {
    for (const [token, verified] of this.entries) {
      if (verified.claims.exp + skewSeconds <= nowSeconds) this.entries.delete(token);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
