import type { JwksCache } from '../keys/jwks-cache.js';
import type { VerifiedTokenCache } from '../verified-token-cache.js';
import { runChecks, type Check } from '../verification.js';

/**
 * Serves a repeated token from the verified-token cache; a new one walks the token-level checks
 * (structure, key, signature, claims) and is cached when they pass. What can change between two
 * requests (expiry, revocation, route policy) is checked after this, on every request. A hit also
 * needs its key to be still trusted: in the set, and the set not beyond its maximum staleness.
 */
export function verifiedToken(cache: VerifiedTokenCache, jwks: JwksCache, tokenChecks: readonly Check[]): Check {
  return (verification) => {
    const token = verification.credential!.token;
    const hit = cache.get(token);
    if (hit !== undefined && jwks.lookup(hit.kid) !== undefined) {
      verification.token = hit;
      return undefined;
    }
    return runChecks(tokenChecks, verification).then((refusal) => {
      if (refusal === undefined) cache.set(token, verification.token!);
      return refusal;
    });
  };
}
