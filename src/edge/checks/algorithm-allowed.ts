import { ASYMMETRIC_ALGORITHMS } from '../../tokens/index.js';
import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

const ALLOWED = new Set<unknown>(ASYMMETRIC_ALGORITHMS);

/** `none` and every HMAC algorithm are refused before a key is even looked up. */
export const algorithmAllowed: Check = (verification) =>
  ALLOWED.has(verification.header!.alg) ? undefined : refuse('token_algorithm_not_allowed');
