import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** A token issued beyond the clock skew in the future is forged or from a broken clock. */
export function issuedAt(skewSeconds: number): Check {
  return (verification) =>
    verification.token!.claims.iat > verification.nowSeconds + skewSeconds ? refuse('token_issued_in_future') : undefined;
}
