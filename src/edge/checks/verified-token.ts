import type { VerifiedTokenCache } from '../verified-token-cache.js';
import { runChecks, type Check } from '../verification.js';

/**
 * Serves a repeated token from the verified-token cache; a new one walks the token-level checks
 * (structure, key, signature, claims) and is cached when they pass. What can change between two
 * requests (expiry, revocation, route policy) is checked after this, on every request.
 */
export function verifiedToken(cache: VerifiedTokenCache, tokenChecks: readonly Check[]): Check {
  return (verification) => {
    const token = verification.credential!.token;
    const hit = cache.get(token);
    if (hit !== undefined) {
      verification.token = hit;
      return undefined;
    }
    return runChecks(tokenChecks, verification).then((refusal) => {
      if (refusal === undefined) cache.set(token, verification.token!);
      return refusal;
    });
  };
}
