/** The JOSE `typ` of an RFC 9068 access token. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

/** RFC 9068 §2.2 claims, plus `sid` (the refresh family a token came from) and `cnf`. */
export interface AccessTokenClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf?: number;
  jti: string;
  client_id: string;
  scope: string;
  /** The refresh-token family; revoking the family revokes every access token carrying it. */
  sid?: string;
  /** Confirmation (RFC 7800): `jkt` for DPoP (RFC 9449), `spiffe_id` for an identity-bound client. */
  cnf?: { jkt?: string; spiffe_id?: string };
}

/** Splits an RFC 6749 §3.3 scope string; order is kept, duplicates dropped. */
export function parseScope(scope: string | undefined): string[] {
  if (scope === undefined) return [];
  return [...new Set(scope.split(' ').filter((s) => s.length > 0))];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

export function audienceList(aud: string | string[] | undefined): string[] {
  if (aud === undefined) return [];
  return Array.isArray(aud) ? aud : [aud];
}
