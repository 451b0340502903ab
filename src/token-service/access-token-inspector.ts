import { compactVerify, createLocalJWKSet, type JWTVerifyGetKey } from 'jose';
import type { RefreshFamilyRepository, RevocationRepository } from '../store/index.js';
import { ACCESS_TOKEN_TYPE, ASYMMETRIC_ALGORITHMS, type AccessTokenClaims } from '../tokens/index.js';
import type { KeyRing } from './keys/key-ring.js';

const MAX_TOKEN_BYTES = 16 * 1024;

/**
 * Decides whether one of our own access tokens is active right now: signed by a published key,
 * ours, unexpired, and not revoked by jti, by family, by epoch, by client or by key. Used by introspection
 * (RFC 7662) and revocation (RFC 7009); the edge makes the same decision without a round trip.
 */
export class AccessTokenInspector {
  /** jose imports each key once per key set it is given, so the set is rebuilt only when the published kids change. */
  private keySet: { kids: string; getKey: JWTVerifyGetKey } | undefined;

  constructor(
    private readonly issuer: string,
    private readonly keyRing: KeyRing,
    private readonly revocations: RevocationRepository,
    private readonly families: RefreshFamilyRepository,
    private readonly now: () => number,
  ) {}

  /** The verified claims, whether or not the token is still active; undefined if it is not ours. */
  async verify(token: string): Promise<AccessTokenClaims | undefined> {
    if (token.length > MAX_TOKEN_BYTES || token.split('.').length !== 3) return undefined;
    try {
      const { payload, protectedHeader } = await compactVerify(token, this.publishedKeys(), {
        algorithms: [...ASYMMETRIC_ALGORITHMS],
      });
      if (protectedHeader.typ !== ACCESS_TOKEN_TYPE) return undefined;
      const claims = JSON.parse(new TextDecoder().decode(payload)) as AccessTokenClaims;
      return claims.iss === this.issuer ? claims : undefined;
    } catch {
      return undefined;
    }
  }

  private publishedKeys(): JWTVerifyGetKey {
    const jwks = this.keyRing.jwks();
    const kids = jwks.keys.map((k) => k.kid).join(' ');
    if (this.keySet?.kids !== kids) this.keySet = { kids, getKey: createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]) };
    return this.keySet.getKey;
  }

  async isActive(claims: AccessTokenClaims): Promise<boolean> {
    const nowSeconds = Math.floor(this.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp <= nowSeconds) return false;
    if (claims.iat <= (await this.revocations.currentEpoch())) return false;
    if (claims.iat <= (await this.revocations.clientCutoff(claims.client_id))) return false;
    if (await this.revocations.isRevoked('jti', claims.jti)) return false;
    if (claims.sid !== undefined) {
      const family = await this.families.get(claims.sid);
      if (family === undefined || family.revokedAt !== null) return false;
    }
    return true;
  }
}
