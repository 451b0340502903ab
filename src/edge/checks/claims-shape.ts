import { parseScope, type AccessTokenClaims } from '../../tokens/index.js';
import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function isAudience(value: unknown): boolean {
  return isText(value) || (Array.isArray(value) && value.length > 0 && value.every(isText));
}

/** The RFC 9068 §2.2 claims are present and well-typed; later checks rely on it. */
export const claimsShape: Check = (verification) => {
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(verification.payload!));
  } catch {
    return refuse('token_malformed');
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) return refuse('token_malformed');
  const wellTyped =
    isText(claims.iss) && isText(claims.sub) && isAudience(claims.aud) && isTime(claims.exp) && isTime(claims.iat)
    && (claims.nbf === undefined || isTime(claims.nbf)) && isText(claims.jti) && isText(claims.client_id)
    && (claims.scope === undefined || typeof claims.scope === 'string')
    && (claims.sid === undefined || isText(claims.sid))
    && (claims.cnf === undefined || (typeof claims.cnf === 'object' && claims.cnf !== null));
  if (!wellTyped) return refuse('token_claims_invalid');
  const typed = claims as unknown as AccessTokenClaims;
  verification.token = { claims: typed, scopes: parseScope(typed.scope), kid: verification.key!.kid };
  return undefined;
};
