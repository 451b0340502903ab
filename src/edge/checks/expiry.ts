import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** Runs on every request, cached token or not: a cached token expires like any other. */
export function expiry(skewSeconds: number): Check {
  return (verification) =>
    verification.nowSeconds >= verification.token!.claims.exp + skewSeconds ? refuse('token_expired') : undefined;
}
