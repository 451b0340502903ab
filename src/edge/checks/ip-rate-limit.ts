import type { RateLimiter, RateRule } from '../../store/index.js';
import { rateLimitCheck } from '../rate-limit.js';
import type { Check } from '../verification.js';

/** Runs first, before any token work, so a flood of bad tokens from one address is cheap to shed. */
export function ipRateLimit(limiter: RateLimiter, rule: RateRule, onError: (error: unknown) => void): Check {
  return rateLimitCheck(limiter, rule, (verification) => `edge:ip:${verification.request.ip}`, onError);
}
