import type { RateLimiter, RateRule } from '../../store/index.js';
import { rateLimitCheck } from '../rate-limit.js';
import type { Check } from '../verification.js';

/** Per client and subject, after verification, so the key is one the caller cannot choose. */
export function subjectRateLimit(limiter: RateLimiter, rule: RateRule, onError: (error: unknown) => void): Check {
  return rateLimitCheck(
    limiter,
    rule,
    (verification) => {
      const { claims } = verification.token!;
      // The length prefix keeps `a:b` + `c` and `a` + `b:c` in different buckets.
      return `edge:sub:${claims.client_id.length}:${claims.client_id}:${claims.sub}`;
    },
    onError,
  );
}
