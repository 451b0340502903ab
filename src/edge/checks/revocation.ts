import type { RevocationSet } from '../revocation/revocation-set.js';
import type { Check } from '../verification.js';

/** A revoked jti or family, a token issued at or before the revoke-all epoch, a retired key. */
export function revocation(set: RevocationSet): Check {
  return (verification) => {
    const { claims, kid } = verification.token!;
    return set.check(claims, kid);
  };
}
