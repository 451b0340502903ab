import type { FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { TokenServiceContext } from '../context.js';
import { problemFor } from '../errors.js';
import { requireAdminCredential } from './admin/index.js';
import { assertGrantAllowed, grantedAudience, grantedScopes } from '../grants/index.js';
import { newRefreshToken } from '../token-minter.js';
import { sendProblem, HttpProblem } from '../../platform/index.js';
import { problems, tokenResponseSchema } from './schemas.js';

const SUBJECT = /^[\x21-\x7E]{1,255}$/;

/**
 * The internal issue API, for trusted workloads: a login service mints a token pair for a user it
 * has authenticated. (The revocation feed edges pull from is `revocation-feed.ts`.)
 */
export async function internalRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, problemFor(error), error));
  requireAdminCredential(app, ctx);

  app.post('/internal/tokens', {
    preHandler: ctx.mesh.requireIdentity(ctx.mesh.allow.issue),
    schema: {
      summary: 'Mint an access and refresh token pair for a subject authenticated elsewhere',
      tags: ['internal'],
      description: 'Callers: workloads on MESH_ALLOW_ISSUE; without a mesh, loopback callers with the admin token.',
      security: [{ admin: [] }],
      body: {
        type: 'object',
        additionalProperties: false,
        required: ['subject', 'client_id'],
        properties: {
          subject: { type: 'string', minLength: 1, maxLength: 255 },
          client_id: { type: 'string', minLength: 1, maxLength: 128 },
          scope: { type: 'string', maxLength: 4096 },
          audience: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 512 }, maxItems: 16 },
        },
      },
      response: { 200: tokenResponseSchema, ...problems },
    },
  }, async (request, reply) => {
    const body = request.body as { subject: string; client_id: string; scope?: string; audience?: string[] };
    if (!SUBJECT.test(body.subject)) throw new HttpProblem(400, 'invalid_request', 'Invalid subject', 'subject must be printable ASCII without spaces');
    const client = await ctx.store.clients.get(body.client_id);
    if (client === undefined || client.disabled) throw new HttpProblem(404, 'client_not_found', 'Client not found');
    assertGrantAllowed(client, 'refresh_token');
    const scopes = grantedScopes(client, body.scope);
    const audience = grantedAudience(client, body.audience ?? []);
    const now = ctx.now();
    const familyId = randomUUID();
    const access = ctx.minter.mintAccessToken({ client, subject: body.subject, scopes, audience, familyId });
    const refresh = newRefreshToken();
    await ctx.store.refreshFamilies.create(
      { familyId, clientId: client.clientId, subject: body.subject, scope: access.claims.scope, audience, createdAt: new Date(now), expiresAt: new Date(now + ctx.config.refreshTokenTtlMs) },
      refresh.hash,
    );
    ctx.counters.issued.inc({ grant_type: 'internal_issue' });
    return reply.header('cache-control', 'no-store').send({
      access_token: access.token, token_type: 'Bearer', expires_in: access.expiresIn, scope: access.claims.scope, refresh_token: refresh.token,
    });
  });
}
