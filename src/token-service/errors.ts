import type { FastifyReply, FastifyRequest } from 'fastify';
import { IDENTITY_NOT_ALLOWED, IDENTITY_REQUIRED } from '../mesh/index.js';
import { HttpProblem, toHttpProblem } from '../platform/index.js';
import { SecretsUnavailableError } from '../secrets/index.js';
import { DatabaseUnavailableError } from '../store/index.js';

/**
 * An OAuth error (RFC 6749 §5.2, RFC 7009, RFC 8707). Handlers throw one of the subclasses;
 * `oauthErrorHandler` is the one place that turns errors into response bodies.
 */
export class OAuthError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly status = 400,
    readonly headers: Record<string, string> = {},
  ) {
    super(description);
    this.name = 'OAuthError';
  }
}

export class InvalidRequest extends OAuthError {
  constructor(description: string) {
    super('invalid_request', description);
  }
}

export class InvalidClient extends OAuthError {
  /** With Basic credentials RFC 6749 requires 401 and a matching challenge. */
  constructor(description = 'client authentication failed', basic = false) {
    super('invalid_client', description, 401, basic ? { 'www-authenticate': 'Basic realm="token"' } : {});
  }
}

export class InvalidGrant extends OAuthError {
  constructor(description: string) {
    super('invalid_grant', description);
  }
}

export class UnauthorizedClient extends OAuthError {
  constructor(description: string) {
    super('unauthorized_client', description);
  }
}

export class UnsupportedGrantType extends OAuthError {
  constructor(grantType: string) {
    super('unsupported_grant_type', `grant_type "${grantType.slice(0, 64)}" is not supported`);
  }
}

export class InvalidScope extends OAuthError {
  constructor(description: string) {
    super('invalid_scope', description);
  }
}

export class InvalidTarget extends OAuthError {
  constructor(description: string) {
    super('invalid_target', description);
  }
}

export class UnsupportedTokenType extends OAuthError {
  constructor(description: string) {
    super('unsupported_token_type', description);
  }
}

export class RateLimited extends OAuthError {
  constructor(retryAfterMs: number) {
    super('rate_limited', 'too many failed authentication attempts; retry later', 429, {
      'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    });
  }
}

/** Seconds a caller is asked to wait when the database is unavailable: about one readiness probe. */
const DATABASE_RETRY_AFTER = { 'retry-after': '5' };

/** Maps anything thrown on an OAuth endpoint to an RFC 6749 §5.2 body, never leaking internals. */
export function toOAuthError(error: unknown): OAuthError {
  if (error instanceof OAuthError) return error;
  if (error instanceof SecretsUnavailableError) {
    return new OAuthError('secrets_unavailable', 'signing keys are unavailable; retry later', 503, { 'retry-after': '5' });
  }
  // RFC 6749 §4.1.2.1 defines temporarily_unavailable for the authorization endpoint; OAuth clients
  // know it, so the token, introspection and revocation endpoints use it too (docs/api.md).
  if (error instanceof DatabaseUnavailableError) {
    return new OAuthError('temporarily_unavailable', 'the service cannot answer this request right now; retry later', 503, DATABASE_RETRY_AFTER);
  }
  const problem: HttpProblem = toHttpProblem(error);
  if (problem.status >= 500) return new OAuthError('server_error', 'internal error', 500);
  // The mesh allowlist guards introspection too; its refusals keep the codes they have on the internal listener.
  if (problem.code === IDENTITY_REQUIRED || problem.code === IDENTITY_NOT_ALLOWED) return new OAuthError(problem.code, problem.detail ?? problem.title, problem.status);
  return new OAuthError(problem.status === 404 ? 'not_found' : 'invalid_request', problem.detail ?? problem.title, problem.status);
}

export function oauthErrorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const oauth = toOAuthError(error);
  // A 503 is a dependency outage, logged once by whatever watches that dependency, not per request.
  if (oauth.status >= 500 && oauth.status !== 503) request.log.error({ err: error, code: oauth.error }, 'oauth endpoint error');
  return reply
    .code(oauth.status)
    .headers(oauth.headers)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .send({ error: oauth.error, error_description: oauth.description });
}

/** Problem+json for the admin and internal APIs; outages become 503 `secrets_unavailable` or `database_unavailable`. */
export function problemFor(error: unknown): HttpProblem {
  if (error instanceof SecretsUnavailableError) {
    return new HttpProblem(503, 'secrets_unavailable', 'Secrets unavailable', 'signing keys are unavailable; retry later', { 'retry-after': '5' });
  }
  if (error instanceof DatabaseUnavailableError) {
    return new HttpProblem(503, 'database_unavailable', 'Database unavailable', 'the database cannot be reached; retry later', DATABASE_RETRY_AFTER);
  }
  if (error instanceof OAuthError) return new HttpProblem(error.status, error.error, error.description, undefined, error.headers);
  return toHttpProblem(error);
}
