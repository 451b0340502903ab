import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/**
 * A token minted for an identity-bound client (`cnf.spiffe_id`) is admitted only from that
 * workload. Without a mesh identity for the caller (no mesh, or forward-auth, where the caller
 * is the proxy) it cannot be matched, so it is refused: fail closed.
 */
export const identityBinding: Check = (verification) => {
  const bound = verification.token!.claims.cnf?.spiffe_id;
  return bound !== undefined && bound !== verification.request.callerSpiffeId ? refuse('token_identity_mismatch') : undefined;
};
