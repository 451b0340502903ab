// Straight from the cache module, not the store's index: the index also loads the SQL engines
// (embedded PostgreSQL, pg), about 16 MB of resident memory the edge never uses.
import { MemoryRateLimiter, type RateDecision, type RateLimiter, type RateRule } from '../store/cache/rate-limiter.js';
import type { Refusal } from './errors.js';
import type { Check, Verification } from './verification.js';

/** The 429: Retry-After plus the RateLimit header fields (draft-ietf-httpapi-ratelimit-headers). */
function toRefusal(decision: RateDecision, rule: RateRule): Refusal | undefined {
  if (decision.allowed) return undefined;
  return {
    code: 'rate_limited',
    headers: {
      'retry-after': String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))),
      'ratelimit-limit': String(rule.capacity),
      'ratelimit-remaining': String(decision.remaining),
      'ratelimit-reset': String(Math.ceil(decision.resetMs / 1000)),
      'ratelimit-policy': `${rule.capacity};w=${Math.ceil(rule.windowMs / 1000)}`,
    },
  };
}

/**
 * A token-bucket check keyed per request. In-memory buckets are consumed synchronously; Redis
 * buckets (shared by replicas) cost one round trip. If Redis fails, the request is let through
 * (`onError` counts it): an unavailable limiter must not become an outage.
 */
export function rateLimitCheck(
  limiter: RateLimiter,
  rule: RateRule,
  keyOf: (verification: Verification) => string,
  onError: (error: unknown) => void,
): Check {
  if (limiter instanceof MemoryRateLimiter) {
    return (verification) => toRefusal(limiter.consumeSync(keyOf(verification), rule), rule);
  }
  return (verification) =>
    limiter.consume(keyOf(verification), rule).then(
      (decision) => toRefusal(decision, rule),
      (error: unknown) => {
        onError(error);
        return undefined;
      },
    );
}
