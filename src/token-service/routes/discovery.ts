import type { FastifyInstance } from 'fastify';
import type { TokenServiceContext } from '../context.js';
import { CLIENT_AUTH_METHODS } from '../../store/index.js';
import { ASYMMETRIC_ALGORITHMS } from '../../tokens/index.js';

/** RFC 8414 metadata and the RFC 7517 key set. */
export async function discoveryRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  const issuer = ctx.config.issuer;
  const metadata = {
    issuer,
    token_endpoint: `${issuer}/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    introspection_endpoint: `${issuer}/oauth2/introspect`,
    revocation_endpoint: `${issuer}/oauth2/revoke`,
    grant_types_supported: ctx.grants.grantTypes(),
    response_types_supported: [],
    scopes_supported: undefined,
    token_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    token_endpoint_auth_signing_alg_values_supported: [...ASYMMETRIC_ALGORITHMS],
    introspection_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    revocation_endpoint_auth_methods_supported: [...CLIENT_AUTH_METHODS],
    access_token_signing_alg_values_supported: [ctx.config.signingAlg],
  };

  app.get('/.well-known/oauth-authorization-server', {
    schema: { summary: 'Authorization server metadata (RFC 8414)', tags: ['discovery'] },
  }, async (_request, reply) => reply.header('cache-control', 'public, max-age=3600').send(metadata));

  // Short enough that a key published ahead of use (AUTH_KEY_PUBLISH_LEAD) reaches every cache
  // before it signs; stale-while-revalidate keeps verifiers serving while they refresh.
  const maxAge = Math.max(0, Math.min(300, Math.floor(ctx.config.keyPublishLeadMs / 2000)));
  app.get('/.well-known/jwks.json', {
    schema: {
      summary: 'Published signing keys (RFC 7517): pending, active and retiring',
      tags: ['discovery'],
      response: { 200: { type: 'object', properties: { keys: { type: 'array', items: { type: 'object', additionalProperties: true } } }, required: ['keys'] } },
    },
  }, async (_request, reply) =>
    reply
      .header('cache-control', `public, max-age=${maxAge}, stale-while-revalidate=60, stale-if-error=86400`)
      .header('content-type', 'application/jwk-set+json; charset=utf-8')
      .send(ctx.keyRing.jwks()),
  );
}
