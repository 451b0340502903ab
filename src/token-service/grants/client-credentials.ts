import { listParam, param } from '../form-body.js';
import type { TokenMinter } from '../token-minter.js';
import type { GrantHandler } from './grant.js';
import { assertGrantAllowed, grantedAudience, grantedScopes } from './policy.js';

/**
 * RFC 6749 §4.4: a client acting for itself. The subject is the client; no refresh token is
 * issued (§4.4.3), since the client can always authenticate again.
 */
export function clientCredentialsGrant(minter: TokenMinter): GrantHandler {
  return {
    grantType: 'client_credentials',
    parameters: ['scope', 'resource', 'audience'],
    async handle({ client, params }) {
      assertGrantAllowed(client, 'client_credentials');
      const scopes = grantedScopes(client, param(params, 'scope'));
      const audience = grantedAudience(client, [...listParam(params, 'resource'), ...listParam(params, 'audience')]);
      const minted = minter.mintAccessToken({ client, subject: client.clientId, scopes, audience });
      return { access_token: minted.token, token_type: 'Bearer', expires_in: minted.expiresIn, scope: minted.claims.scope };
    },
  };
}
