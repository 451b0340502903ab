import type { DependencyStatus } from '../../platform/index.js';
import type { RateDecision, RateLimiter, RateRule } from '../../store/index.js';
import { RateLimited } from '../errors.js';

/**
 * Bounds guessing: every failed client authentication takes a token from the caller's IP
 * bucket and the claimed client's bucket; an empty bucket refuses further attempts with 429
 * until it refills, whatever the credentials.
 */
export class FailedAuthLimiter {
  private readonly rule: RateRule;

  /** Set while the limiter's store (Redis) fails; attempts are then let through (fail open). */
  private unavailableSince: number | undefined;

  constructor(
    private readonly limiter: RateLimiter,
    limit: number,
    windowMs: number,
    /** Called on each limiter failure: count it; log when `first` (the start of an outage). */
    private readonly onUnavailable: (error: unknown, first: boolean) => void = () => undefined,
  ) {
    this.rule = { capacity: limit, windowMs };
  }

  async assertAllowed(ip: string, clientId: string | undefined): Promise<void> {
    for (const key of this.keys(ip, clientId)) {
      const decision = await this.guarded(() => this.limiter.peek(key, this.rule));
      if (decision !== undefined && !decision.allowed) throw new RateLimited(decision.retryAfterMs);
    }
  }

  async recordFailure(ip: string, clientId: string | undefined): Promise<void> {
    await Promise.all(this.keys(ip, clientId).map((key) => this.guarded(() => this.limiter.consume(key, this.rule))));
  }

  /** Readiness: degraded while failed-auth limiting is off because its store is unreachable. */
  status(): DependencyStatus {
    return this.unavailableSince === undefined
      ? { status: 'up', kind: this.limiter.kind }
      : { status: 'degraded', kind: this.limiter.kind, detail: 'rate limiter unavailable; failed authentication is not being limited', since: new Date(this.unavailableSince).toISOString() };
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

  private keys(ip: string, clientId: string | undefined): string[] {
    return clientId === undefined ? [`authfail:ip:${ip}`] : [`authfail:ip:${ip}`, `authfail:client:${clientId}`];
  }
}
