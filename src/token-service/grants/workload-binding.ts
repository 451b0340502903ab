import type { FastifyRequest } from 'fastify';
import { callerMatchesBinding, parseServiceIdentity } from '../../mesh/index.js';
import type { ClientRecord } from '../../store/index.js';
import { UnauthorizedClient } from '../errors.js';

/**
 * Identity-bound clients (`bound_identity`): their tokens belong to one workload. Two halves, each
 * applied at the one place every issuance passes through, so no grant (present or future) and no
 * issuing API can leave either out:
 * - the token endpoint calls `assertCallerIsBoundWorkload` before dispatching to any grant, so the
 *   client's credentials, and the refresh tokens it holds, work only from that workload (and a
 *   refresh token presented from elsewhere is refused before it is spent);
 * - the token minter stamps `boundConfirmation` into every access token of the client as
 *   `cnf.spiffe_id`, which the edge compares with the presenting workload.
 */
export function assertCallerIsBoundWorkload(client: ClientRecord, request: FastifyRequest): void {
  if (client.boundIdentity !== null && !callerMatchesBinding(request, client.boundIdentity)) {
    throw new UnauthorizedClient('client is bound to a workload identity the caller does not have');
  }
}

/** The `cnf` of an identity-bound client's access tokens (its workload, in SPIFFE form); undefined when unbound. */
export function boundConfirmation(client: ClientRecord): { spiffe_id: string } | undefined {
  if (client.boundIdentity === null) return undefined;
  const identity = parseServiceIdentity(client.boundIdentity);
  // The admin API refuses such a binding; one stored before it did binds to no workload, so nothing is issued.
  if (identity === undefined) throw new UnauthorizedClient('client is bound to a value that is not a workload identity');
  return { spiffe_id: identity.spiffeId };
}
