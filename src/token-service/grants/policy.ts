import type { ClientRecord } from '../../store/index.js';
import { parseScope, SCOPE_TOKEN } from '../../tokens/index.js';
import { InvalidRequest, InvalidScope, InvalidTarget, UnauthorizedClient } from '../errors.js';

/** The requested scopes, each allowed for the client; none requested means all the client may have. */
export function grantedScopes(client: ClientRecord, requested: string | undefined, within: string[] = client.scopes): string[] {
  if (requested === undefined) return within;
  const scopes = parseScope(requested);
  if (scopes.length === 0) throw new InvalidScope('scope is empty');
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new InvalidScope('scope contains invalid characters');
    if (!within.includes(scope)) throw new InvalidScope(`scope "${scope.slice(0, 64)}" is not allowed`);
  }
  return scopes;
}

/** The requested audiences (RFC 8707 `resource`, or `audience`), each allowed; none means all the client's. */
export function grantedAudience(client: ClientRecord, requested: string[], within: string[] = client.audiences): string[] {
  if (requested.length === 0) {
    if (within.length === 0) throw new InvalidTarget('client has no audience');
    return within;
  }
  for (const audience of requested) {
    if (audience.length > 512) throw new InvalidRequest('audience is too long');
    if (!within.includes(audience)) throw new InvalidTarget(`audience "${audience.slice(0, 64)}" is not allowed`);
  }
  return [...new Set(requested)];
}

export function assertGrantAllowed(client: ClientRecord, grantType: string): void {
  if (!client.grantTypes.includes(grantType)) throw new UnauthorizedClient(`client may not use grant_type ${grantType}`);
}
