import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** Exact string comparison (RFC 9068 §4): no normalisation, no trailing-slash leniency. */
export function issuer(expected: string): Check {
  return (verification) => (verification.token!.claims.iss === expected ? undefined : refuse('token_issuer_invalid'));
}
