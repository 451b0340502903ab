import type { RateLimiter, RateRule } from '../store/index.js';
import { algorithmAllowed } from './checks/algorithm-allowed.js';
import { allowAnonymous } from './checks/allow-anonymous.js';
import { audience } from './checks/audience.js';
import { claimsShape } from './checks/claims-shape.js';
import { clientRevocation } from './checks/client-revocation.js';
import { credential } from './checks/credential.js';
import { expiry } from './checks/expiry.js';
import { identityBinding } from './checks/identity-binding.js';
import { ipRateLimit } from './checks/ip-rate-limit.js';
import { issuedAt } from './checks/issued-at.js';
import { issuer } from './checks/issuer.js';
import { notBefore } from './checks/not-before.js';
import { revocation } from './checks/revocation.js';
import { scopes } from './checks/scopes.js';
import { senderConstraint } from './checks/sender-constraint.js';
import { signature } from './checks/signature.js';
import { signingKey } from './checks/signing-key.js';
import { subjectRateLimit } from './checks/subject-rate-limit.js';
import { tokenHeader } from './checks/token-header.js';
import { tokenSize } from './checks/token-size.js';
import { tokenType } from './checks/token-type.js';
import { verifiedToken } from './checks/verified-token.js';
import type { JwksCache } from './keys/jwks-cache.js';
import type { ClientRevocations } from './revocation/client-revocations.js';
import type { RevocationSet } from './revocation/revocation-set.js';
import type { RouteDefinition } from './routes/route-definition.js';
import type { VerifiedTokenCache } from './verified-token-cache.js';
import type { Check } from './verification.js';

export interface PipelineDependencies {
  issuer: string;
  clockSkewSeconds: number;
  maxTokenBytes: number;
  jwks: JwksCache;
  revocations: RevocationSet;
  clientRevocations: ClientRevocations;
  verifiedTokens: VerifiedTokenCache;
  rateLimiter: RateLimiter;
  rateLimitPerIp: RateRule | undefined;
  rateLimitPerSubject: RateRule | undefined;
  onRateLimiterError: (error: unknown) => void;
}

/** The checks that depend only on the token, not the route: their result is what gets cached. */
export function tokenChecks(deps: PipelineDependencies): Check[] {
  return [
    tokenSize(deps.maxTokenBytes),
    tokenHeader,
    tokenType,
    algorithmAllowed,
    signingKey(deps.jwks),
    signature,
    claimsShape,
    issuer(deps.issuer),
    notBefore(deps.clockSkewSeconds),
    issuedAt(deps.clockSkewSeconds),
  ];
}

/**
 * The whole pipeline for one route, in order, built once at start. The request path walks it
 * with no lookups beyond in-memory maps; the only awaits are signature verification of a new
 * token, a kid miss, and a Redis rate limiter when one is configured.
 */
export function routeChecks(route: RouteDefinition, deps: PipelineDependencies, sharedTokenChecks: readonly Check[]): Check[] {
  const { rateLimiter, onRateLimiterError } = deps;
  return [
    ...(deps.rateLimitPerIp ? [ipRateLimit(rateLimiter, deps.rateLimitPerIp, onRateLimiterError)] : []),
    ...(route.policy.anonymous ? [allowAnonymous] : []),
    credential,
    verifiedToken(deps.verifiedTokens, deps.jwks, sharedTokenChecks),
    expiry(deps.clockSkewSeconds),
    revocation(deps.revocations),
    clientRevocation(deps.clientRevocations),
    ...(route.policy.audience.length > 0 ? [audience(route.policy.audience)] : []),
    ...(route.policy.scopes.length > 0 ? [scopes(route.policy.scopes)] : []),
    senderConstraint,
    identityBinding,
    ...(deps.rateLimitPerSubject ? [subjectRateLimit(rateLimiter, deps.rateLimitPerSubject, onRateLimiterError)] : []),
  ];
}
