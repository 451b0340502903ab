import type { DependencyStatus } from '../../platform/index.js';
import type { RateDecision, RateLimiter, RateRule } from '../../store/index.js';
import { RateLimited } from '../errors.js';

export interface FailedAuthRules {
  /** Failures per client and address (and admin-token failures per address) within the window. */
  limit: number;
  /** Failed client authentications per address across all clients within the window. */
  addressLimit: number;
  windowMs: number;
}

/**
 * Slows down failed authentication without ever refusing a correct credential. Callers verify
 * the credential first and come here only when it failed: the attempt takes a token from its
 * caller's buckets, and when one was already empty it is answered 429 with Retry-After instead
 * of 401. The buckets are per (client, address) and per address, never per client alone: a
 * client-wide bucket let anyone, from anywhere, lock a client out of issuance by failing ten
 * times a minute with its client_id. Guessing is not what this defends against (secrets are
 * 256-bit, assertions are signatures); it bounds the audit rows and work a failing caller causes.
 */
export class FailedAuthLimiter {
  private readonly pairRule: RateRule;
  private readonly addressRule: RateRule;

  /** Set while the limiter's store (Redis) fails; attempts are then let through (fail open). */
  private unavailableSince: number | undefined;

  constructor(
    private readonly limiter: RateLimiter,
    rules: FailedAuthRules,
    /** Called on each limiter failure: count it; log when `first` (the start of an outage). */
    private readonly onUnavailable: (error: unknown, first: boolean) => void = () => undefined,
  ) {
    this.pairRule = { capacity: rules.limit, windowMs: rules.windowMs };
    this.addressRule = { capacity: rules.addressLimit, windowMs: rules.windowMs };
  }

  /** A client authentication from `address` claiming `clientId` failed; throws RateLimited when either bucket was empty. */
  async recordClientFailure(address: string, clientId: string): Promise<void> {
    // A space never occurs in an address, so the pair key is unambiguous whatever the client_id holds.
    await this.take([
      [`authfail:client:${address} ${clientId}`, this.pairRule],
      [`authfail:ip:${address}`, this.addressRule],
    ]);
  }

  /** An admin-token check from `address` failed; its own bucket, so OAuth failures never throttle operators. */
  async recordAdminFailure(address: string): Promise<void> {
    await this.take([[`authfail:admin:${address}`, this.pairRule]]);
  }

  /** Readiness: degraded while failed-auth limiting is off because its store is unreachable. */
  status(): DependencyStatus {
    return this.unavailableSince === undefined
      ? { status: 'up', kind: this.limiter.kind }
      : { status: 'degraded', kind: this.limiter.kind, detail: 'rate limiter unavailable; failed authentication is not being limited', since: new Date(this.unavailableSince).toISOString() };
  }

  private async take(buckets: Array<[string, RateRule]>): Promise<void> {
    const decisions = await Promise.all(buckets.map(([key, rule]) => this.guarded(() => this.limiter.consume(key, rule))));
    const refused = decisions.filter((decision) => decision !== undefined && !decision.allowed);
    if (refused.length > 0) throw new RateLimited(Math.max(...refused.map((decision) => decision!.retryAfterMs)));
  }

  /**
   * A limiter outage (Redis down) must not turn every token request into a 500: the attempt is
   * let through, as the edge's limiter does, and the outage is reported.
   */
  private async guarded(call: () => Promise<RateDecision>): Promise<RateDecision | undefined> {
    try {
      const decision = await call();
      this.unavailableSince = undefined;
      return decision;
    } catch (error) {
      const first = this.unavailableSince === undefined;
      if (first) this.unavailableSince = Date.now();
      this.onUnavailable(error, first);
      return undefined;
    }
  }
}
