import type { ClientRecord, RefreshFamily } from '../store/index.js';
import type { AccessTokenClaims } from '../tokens/index.js';

/**
 * Which tokens introspection describes to an authenticated client (RFC 7662 §4: the endpoint must
 * not become a way to probe other parties' tokens). A token the caller may not see is answered
 * exactly like an unknown one, `{"active": false}`, so the answer tells it nothing.
 *
 * An access token: the caller's own (`client_id`), or one for an audience the caller serves as a
 * resource server (its `introspection_audiences`).
 */
export function mayIntrospectAccessToken(caller: ClientRecord, claims: AccessTokenClaims): boolean {
  if (claims.client_id === caller.clientId) return true;
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : claims.aud;
  return Array.isArray(audiences) && audiences.some((audience) => caller.introspectionAudiences.includes(audience));
}

/** A refresh token is presented only to its own client: nobody else, resource servers included, learns of it. */
export function mayIntrospectRefreshToken(caller: ClientRecord, family: RefreshFamily): boolean {
  return family.clientId === caller.clientId;
}
