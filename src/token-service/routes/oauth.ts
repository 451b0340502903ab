import type { FastifyInstance } from 'fastify';
import type { TokenServiceContext } from '../context.js';
import { oauthErrorHandler, OAuthError, toOAuthError, UnsupportedTokenType, UnauthorizedClient } from '../errors.js';
import { acceptFormBodiesOnly, param, requiredParam, type FormParams } from '../form-body.js';
import { assertCallerIsBoundWorkload } from '../grants/index.js';
import { mayIntrospectAccessToken, mayIntrospectRefreshToken } from '../introspection-access.js';
import { hashRefreshToken, longestAccessTokenTtlMs } from '../token-minter.js';
import { clientAuthParams, formBody, oauthErrors, tokenResponseSchema } from './schemas.js';

const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' };
const TOKEN_TYPE_HINTS = new Set(['access_token', 'refresh_token']);

function tokenTypeHint(params: FormParams): string | undefined {
  const hint = param(params, 'token_type_hint');
  // RFC 7009 §2.2.1: an unknown hint is an error; a wrong one is only a hint.
  if (hint !== undefined && !TOKEN_TYPE_HINTS.has(hint)) throw new UnsupportedTokenType(`token_type_hint "${hint.slice(0, 32)}" is not supported`);
  return hint;
}

/** The RFC 6749 token endpoint, RFC 7662 introspection and RFC 7009 revocation: form bodies, OAuth errors. */
export async function oauthRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  acceptFormBodiesOnly(app, ctx.config.bodyLimitBytes);
  app.setErrorHandler((error, request, reply) => {
    const endpoint = request.routeOptions.url ?? 'unknown';
    ctx.counters.refused.inc({ endpoint, error: toOAuthError(error).error });
    return oauthErrorHandler(error, request, reply);
  });

  // RFC 6749 §3.2: POST only. Another method gets a 405 with an OAuth error body, not a routing 404.
  for (const url of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
    app.route({
      method: ['GET', 'PUT', 'PATCH', 'DELETE'], url, schema: { hide: true },
      handler: async () => {
        throw new OAuthError('invalid_request', `${url} accepts POST only`, 405, { allow: 'POST' });
      },
    });
  }

  app.post('/oauth2/token', {
    schema: {
      summary: 'Token endpoint (RFC 6749 §3.2): client_credentials and refresh_token grants',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody({ grant_type: 'client_credentials | refresh_token', scope: 'space-separated scopes', resource: 'RFC 8707 target audience (repeatable)', audience: 'target audience (repeatable)', refresh_token: 'refresh token (refresh_token grant)', ...clientAuthParams }, ['grant_type']),
      response: { 200: tokenResponseSchema, ...oauthErrors },
    },
  }, async (request, reply) => {
    const params = request.body as FormParams;
    const grant = ctx.grants.get(requiredParam(params, 'grant_type'));
    const client = await ctx.clientAuth.authenticate(request, params);
    try {
      // Ahead of every grant, so a refresh token presented from the wrong workload is not spent.
      assertCallerIsBoundWorkload(client, request);
      const response = await grant.handle({ client, params, request });
      ctx.counters.issued.inc({ grant_type: grant.grantType });
      return reply.headers(NO_STORE).send(response);
    } catch (error) {
      if (error instanceof OAuthError && error.status < 500) {
        await ctx.store.audit.append({
          event: 'token_issue_failed', outcome: 'failure', clientId: client.clientId, ip: request.ip,
          details: { grantType: grant.grantType, error: error.error, description: error.description },
        });
      }
      throw error;
    }
  });

  app.post('/oauth2/introspect', {
    // RFC 7662 §4: only the workloads on MESH_ALLOW_INTROSPECT (without a mesh: loopback callers).
    preHandler: ctx.mesh.requireIdentity(ctx.mesh.allow.introspect),
    schema: {
      summary: 'Token introspection (RFC 7662): a client learns about its own tokens and tokens for the audiences it serves',
      description: 'Callers: workloads on MESH_ALLOW_INTROSPECT (without a mesh, loopback callers), authenticated as a client.',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody({ token: 'the token to introspect', token_type_hint: 'access_token | refresh_token', ...clientAuthParams }, ['token']),
      response: {
        200: {
          type: 'object',
          properties: {
            active: { type: 'boolean' }, scope: { type: 'string' }, client_id: { type: 'string' }, sub: { type: 'string' },
            aud: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
            iss: { type: 'string' }, exp: { type: 'integer' }, iat: { type: 'integer' }, jti: { type: 'string' },
            sid: { type: 'string' }, token_type: { type: 'string' },
            cnf: { type: 'object', properties: { spiffe_id: { type: 'string' }, jkt: { type: 'string' } } },
          },
          required: ['active'],
        },
        ...oauthErrors,
      },
    },
  }, async (request, reply) => {
    const params = request.body as FormParams;
    const caller = await ctx.clientAuth.authenticate(request, params);
    const token = requiredParam(params, 'token');
    tokenTypeHint(params);
    reply.headers(NO_STORE);
    const claims = await ctx.inspector.verify(token);
    if (claims !== undefined) {
      if (!mayIntrospectAccessToken(caller, claims) || !(await ctx.inspector.isActive(claims))) return { active: false };
      return {
        active: true, token_type: 'Bearer', scope: claims.scope, client_id: claims.client_id, sub: claims.sub, aud: claims.aud, iss: claims.iss, exp: claims.exp, iat: claims.iat, jti: claims.jti,
        ...(claims.sid ? { sid: claims.sid } : {}),
        // RFC 8705 §3.2: a resource server needs the binding to hold the presenter to it.
        ...(claims.cnf ? { cnf: claims.cnf } : {}),
      };
    }
    const family = await ctx.store.refreshFamilies.findByActiveToken(hashRefreshToken(token));
    const now = ctx.now();
    if (family === undefined || !mayIntrospectRefreshToken(caller, family) || family.revokedAt !== null || family.expiresAt.getTime() <= now) return { active: false };
    // Families from before the revoke-all second are dead; within it, revokeAll's revoked_at decides
    // (a family created in the revoke-all's own millisecond, after it, stays live as the grant says).
    if (family.createdAt.getTime() / 1000 < ctx.revocations.minIssuedAt() - 1) return { active: false };
    return { active: true, token_type: 'refresh_token', scope: family.scope, client_id: family.clientId, sub: family.subject, aud: family.audience, iss: ctx.config.issuer, exp: Math.floor(family.expiresAt.getTime() / 1000), sid: family.familyId };
  });

  app.post('/oauth2/revoke', {
    schema: {
      summary: 'Token revocation (RFC 7009): a client revokes its own access or refresh token',
      tags: ['oauth'],
      consumes: ['application/x-www-form-urlencoded'],
      body: formBody({ token: 'the token to revoke', token_type_hint: 'access_token | refresh_token', ...clientAuthParams }, ['token']),
      response: { 200: { type: 'null', description: 'revoked, or the token was unknown (RFC 7009 §2.2)' }, ...oauthErrors },
    },
  }, async (request, reply) => {
    const params = request.body as FormParams;
    const client = await ctx.clientAuth.authenticate(request, params);
    const token = requiredParam(params, 'token');
    tokenTypeHint(params);
    const now = ctx.now();
    const claims = await ctx.inspector.verify(token);
    if (claims !== undefined) {
      if (claims.client_id !== client.clientId) throw new UnauthorizedClient('token was issued to another client');
      if (claims.exp * 1000 > now) {
        await ctx.revocations.revoke('jti', claims.jti, new Date(claims.exp * 1000));
        await ctx.store.audit.append({ event: 'token_revoked', outcome: 'success', clientId: client.clientId, subject: claims.sub, ip: request.ip, details: { jti: claims.jti } });
      }
      return reply.headers(NO_STORE).send();
    }
    const family = await ctx.store.refreshFamilies.findByActiveToken(hashRefreshToken(token));
    if (family !== undefined) {
      if (family.clientId !== client.clientId) throw new UnauthorizedClient('token was issued to another client');
      if (await ctx.store.refreshFamilies.revoke(family.familyId, 'client_revoked', new Date(now))) {
        await ctx.revocations.revoke('family', family.familyId, new Date(now + longestAccessTokenTtlMs(ctx.config.accessTokenTtlMs)));
        await ctx.store.audit.append({ event: 'family_revoked', outcome: 'success', clientId: client.clientId, subject: family.subject, ip: request.ip, details: { familyId: family.familyId, by: 'client' } });
      }
    }
    return reply.headers(NO_STORE).send();
  });
}
