import { refuse } from '../errors.js';
import type { ClientRevocations } from '../revocation/client-revocations.js';
import type { Check } from '../verification.js';

/**
 * A token of a client that was disabled, deleted or revoked after the token was issued
 * (`iat` at or before the client's cutoff). `client_id` is RFC 9068 §2.2's required claim;
 * claims-shape has already checked it is a string.
 */
export function clientRevocation(revocations: ClientRevocations): Check {
  return (verification) => (revocations.isRevoked(verification.token!.claims) ? refuse('token_revoked_by_client') : undefined);
}
