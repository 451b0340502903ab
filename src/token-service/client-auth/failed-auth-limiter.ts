import type { RateLimiter, RateRule } from '../../store/index.js';
import { RateLimited } from '../errors.js';

/**
 * Bounds guessing: every failed client authentication takes a token from the caller's IP
 * bucket and the claimed client's bucket; an empty bucket refuses further attempts with 429
 * until it refills, whatever the credentials.
 */
export class FailedAuthLimiter {
  private readonly rule: RateRule;

  constructor(private readonly limiter: RateLimiter, limit: number, windowMs: number) {
    this.rule = { capacity: limit, windowMs };
  }

  async assertAllowed(ip: string, clientId: string | undefined): Promise<void> {
    for (const key of this.keys(ip, clientId)) {
      const decision = await this.limiter.peek(key, this.rule);
      if (!decision.allowed) throw new RateLimited(decision.retryAfterMs);
    }
  }

  async recordFailure(ip: string, clientId: string | undefined): Promise<void> {
    await Promise.all(this.keys(ip, clientId).map((key) => this.limiter.consume(key, this.rule)));
  }

  private keys(ip: string, clientId: string | undefined): string[] {
    return clientId === undefined ? [`authfail:ip:${ip}`] : [`authfail:ip:${ip}`, `authfail:client:${clientId}`];
  }
}
