import { UnsupportedGrantType } from '../errors.js';
import type { GrantHandler } from './grant.js';

export { clientCredentialsGrant } from './client-credentials.js';
export { refreshTokenGrant, type RefreshTokenGrantDeps } from './refresh-token.js';
export type { GrantHandler, GrantContext, TokenResponse } from './grant.js';
export { grantedAudience, grantedScopes, assertGrantAllowed } from './policy.js';
export { assertCallerIsBoundWorkload } from './workload-binding.js';

/** The token endpoint's dispatch table, keyed by `grant_type`. */
export class GrantRegistry {
  private readonly handlers = new Map<string, GrantHandler>();

  constructor(handlers: GrantHandler[]) {
    for (const handler of handlers) this.handlers.set(handler.grantType, handler);
  }

  get(grantType: string): GrantHandler {
    const handler = this.handlers.get(grantType);
    if (handler === undefined) throw new UnsupportedGrantType(grantType);
    return handler;
  }

  grantTypes(): string[] {
    return [...this.handlers.keys()];
  }
}
