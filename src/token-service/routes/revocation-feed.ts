import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../../platform/index.js';
import { REVOCATION_KINDS } from '../../store/index.js';
import type { TokenServiceContext } from '../context.js';
import { problemFor } from '../errors.js';
import { requireBearerCredential } from './admin/index.js';
import { problems } from './schemas.js';

/**
 * The revocation feed edges pull from (the bus is the fast path; this fills its gaps). It takes
 * the revocation feed credential, never the admin token: an edge holds the one credential it
 * needs, and that credential opens nothing else. Under a mesh the caller's identity must also be
 * on MESH_ALLOW_REVOCATIONS.
 */
export async function revocationFeedRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, problemFor(error), error));
  requireBearerCredential(app, ctx, ctx.revocationFeedCredential, 'revocation_feed_auth_failed');

  app.get('/internal/revocations', {
    preHandler: ctx.mesh.requireIdentity(ctx.mesh.allow.revocations),
    schema: {
      summary: 'The revocation feed: entries after `since`, oldest first',
      description: 'Callers: workloads on MESH_ALLOW_REVOCATIONS (the edge), or loopback callers without a mesh; always with the revocation feed token.',
      tags: ['internal'],
      security: [{ revocationFeed: [] }],
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { since: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, limit: { type: 'integer', minimum: 1, maximum: 10000 } },
      },
      response: {
        200: {
          type: 'object',
          required: ['events', 'latestSeq'],
          properties: {
            latestSeq: { type: 'integer' },
            events: {
              type: 'array',
              items: {
                type: 'object',
                required: ['seq', 'kind', 'value', 'expiresAt'],
                properties: { seq: { type: 'integer' }, kind: { type: 'string', enum: [...REVOCATION_KINDS] }, value: { type: 'string' }, expiresAt: { type: ['string', 'null'] } },
              },
            },
          },
        },
        ...problems,
      },
    },
  }, async (request) => {
    const query = request.query as { since?: number; limit?: number };
    return ctx.revocations.feed(query.since ?? 0, query.limit ?? 1000, new Date(ctx.now()));
  });
}
