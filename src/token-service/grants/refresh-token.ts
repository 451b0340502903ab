import type { AuditLogRepository, RefreshFamilyRepository } from '../../store/index.js';
import { parseScope, type RevocationEvent } from '../../tokens/index.js';
import { InvalidGrant } from '../errors.js';
import { param, requiredParam } from '../form-body.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { RevocationService } from '../revocation-service.js';
import { hashRefreshToken, longestAccessTokenTtlMs, newRefreshToken, type TokenMinter } from '../token-minter.js';
import type { GrantHandler } from './grant.js';
import { assertGrantAllowed, grantedScopes } from './policy.js';

export interface RefreshTokenGrantDeps {
  families: RefreshFamilyRepository;
  minter: TokenMinter;
  keyRing: KeyRing;
  revocations: RevocationService;
  audit: AuditLogRepository;
  /** How long a revoked family's access tokens can still be alive. */
  accessTokenTtlMs: number;
  now: () => number;
}

/**
 * RFC 6749 §6 with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and
 * spends the old one. A spent token presented again means one of two holders is an attacker,
 * so the whole family, and every access token it minted, is revoked.
 */
export function refreshTokenGrant(deps: RefreshTokenGrantDeps): GrantHandler {
  return {
    grantType: 'refresh_token',
    parameters: ['refresh_token', 'scope'],
    async handle({ client, params, request }) {
      assertGrantAllowed(client, 'refresh_token');
      const presented = requiredParam(params, 'refresh_token');
      const requestedScope = param(params, 'scope');
      // Fail before spending the token if nothing could be signed anyway.
      deps.keyRing.signer();
      const next = newRefreshToken();
      const now = new Date(deps.now());
      let reuse: RevocationEvent | undefined;
      let scopes: string[] = [];
      let audience: string[] = [];
      const result = await deps.families.rotate(hashRefreshToken(presented), next.hash, now, {
        validate(family) {
          if (family.clientId !== client.clientId) throw new InvalidGrant('refresh token was issued to another client');
          scopes = grantedScopes(client, requestedScope, parseScope(family.scope).filter((s) => client.scopes.includes(s)));
          // Like scopes, audiences taken from the client since the grant are no longer minted.
          audience = family.audience.filter((a) => client.audiences.includes(a));
          if (audience.length === 0) throw new InvalidGrant('none of the refresh token\'s audiences is still allowed for the client');
        },
        async onReuse(tx, family) {
          reuse = await deps.revocations.record('family', family.familyId, new Date(now.getTime() + longestAccessTokenTtlMs(deps.accessTokenTtlMs)), tx);
        },
      });
      switch (result.outcome) {
        case 'unknown':
          throw new InvalidGrant('refresh token is invalid');
        case 'revoked':
          throw new InvalidGrant('refresh token is revoked');
        case 'expired':
          throw new InvalidGrant('refresh token is expired');
        case 'reused':
          if (reuse !== undefined) await deps.revocations.publish(reuse);
          await deps.audit.append({
            event: 'refresh_token_reuse',
            outcome: 'failure',
            clientId: client.clientId,
            subject: result.family.subject,
            ip: request.ip,
            details: { familyId: result.family.familyId, familyRevoked: result.newlyRevoked },
          });
          throw new InvalidGrant('refresh token was already used; its family is revoked');
        case 'rotated': {
          const minted = deps.minter.mintAccessToken({
            client,
            subject: result.family.subject,
            scopes,
            audience,
            familyId: result.family.familyId,
          });
          return {
            access_token: minted.token,
            token_type: 'Bearer',
            expires_in: minted.expiresIn,
            scope: minted.claims.scope,
            refresh_token: next.token,
          };
        }
      }
    },
  };
}
