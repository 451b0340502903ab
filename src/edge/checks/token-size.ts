import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** Refuses oversized tokens before any parsing; the credential is ASCII, so length is bytes. */
export function tokenSize(maxBytes: number): Check {
  return (verification) => (verification.credential!.token.length > maxBytes ? refuse('token_too_large') : undefined);
}
