import { refuse, type Refusal } from '../errors.js';
import type { JwksCache } from '../keys/jwks-cache.js';
import type { VerificationKey } from '../keys/verification-key.js';
import type { Check, Verification } from '../verification.js';

/**
 * Finds the key named by `kid` and insists the token's `alg` is the key's own. A miss waits for
 * (at most) one rate-limited JWKS refresh: an unknown kid is 401 only when a fresh key set
 * confirms it; while token-service cannot be reached it is 503, since the key may be new.
 */
export function signingKey(jwks: JwksCache): Check {
  return (verification) => {
    const { kid } = verification.header!;
    if (typeof kid !== 'string' || kid.length === 0) return refuse('token_kid_missing');
    const key = jwks.lookup(kid);
    if (key !== undefined) return accept(verification, key);
    return jwks.resolveUnknownKid(kid).then((resolved) => {
      if (resolved === 'unknown') return refuse('token_key_unknown');
      if (resolved === 'unavailable') return refuse('key_set_unavailable');
      return accept(verification, resolved);
    });
  };
}

function accept(verification: Verification, key: VerificationKey): Refusal | undefined {
  if (verification.header!.alg !== key.alg) return refuse('token_algorithm_mismatch');
  verification.key = key;
  return undefined;
}
