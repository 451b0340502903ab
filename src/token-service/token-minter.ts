import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { ClientRecord } from '../store/index.js';
import { formatScope, type AccessTokenClaims } from '../tokens/index.js';
import { boundConfirmation } from './grants/workload-binding.js';
import type { KeyRing } from './keys/key-ring.js';

export interface AccessTokenRequest {
  client: ClientRecord;
  subject: string;
  scopes: string[];
  audience: string[];
  /** The refresh family, when the token comes from one. */
  familyId?: string;
}

export interface MintedAccessToken {
  token: string;
  claims: AccessTokenClaims;
  expiresIn: number;
}

/** A client's own access-token lifetime is capped at this (the admin API's maximum). */
export const MAX_CLIENT_ACCESS_TOKEN_TTL_SECONDS = 86_400;

/**
 * The longest any access token can live, by the default or a client's own lifetime: how long a
 * family or key revocation must stay in the feed, or edges would forget it while tokens it
 * revokes are still unexpired.
 */
export function longestAccessTokenTtlMs(defaultTtlMs: number): number {
  return Math.max(defaultTtlMs, MAX_CLIENT_ACCESS_TOKEN_TTL_SECONDS * 1000);
}

/** Refresh tokens are opaque 256-bit values; only their SHA-256 is stored. */
export function hashRefreshToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function newRefreshToken(): { token: string; hash: Buffer } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashRefreshToken(token) };
}

/**
 * Builds RFC 9068 access tokens and signs them with the key ring's active key. An identity-bound
 * client's tokens always carry `cnf.spiffe_id`, whichever grant or API asked for them.
 */
export class TokenMinter {
  constructor(
    private readonly issuer: string,
    private readonly keyRing: KeyRing,
    private readonly defaultTtlMs: number,
    private readonly now: () => number,
    /** Keeps new tokens clear of a revoke-all, or a revocation of their client, issued in the same second. */
    private readonly minIssuedAt: (clientId: string) => number,
  ) {}

  mintAccessToken(request: AccessTokenRequest): MintedAccessToken {
    const signer = this.keyRing.signer();
    const iat = Math.max(Math.floor(this.now() / 1000), this.minIssuedAt(request.client.clientId));
    const expiresIn = request.client.accessTokenTtlSeconds ?? Math.floor(this.defaultTtlMs / 1000);
    const cnf = boundConfirmation(request.client);
    const claims: AccessTokenClaims = {
      iss: this.issuer,
      sub: request.subject,
      aud: request.audience.length === 1 ? request.audience[0]! : request.audience,
      exp: iat + expiresIn,
      iat,
      jti: randomUUID(),
      client_id: request.client.clientId,
      scope: formatScope(request.scopes),
      ...(request.familyId === undefined ? {} : { sid: request.familyId }),
      ...(cnf === undefined ? {} : { cnf }),
    };
    return { token: signer.sign(claims as unknown as Record<string, unknown>), claims, expiresIn };
  }
}
