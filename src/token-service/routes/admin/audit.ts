import type { FastifyInstance } from 'fastify';
import type { TokenServiceContext } from '../../context.js';
import { problems } from '../schemas.js';

/** Reading and verifying the hash-chained audit log. */
export async function adminAuditRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.get('/admin/audit', {
    schema: {
      summary: 'Audit entries after a sequence number, oldest first',
      tags: ['admin'], security: [{ admin: [] }],
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { after: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, limit: { type: 'integer', minimum: 1, maximum: 1000 }, event: { type: 'string', maxLength: 64 } },
      },
      response: { 200: { type: 'object', properties: { entries: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, ...problems },
    },
  }, async (request) => {
    const query = request.query as { after?: number; limit?: number; event?: string };
    return { entries: await ctx.store.audit.list({ afterSeq: query.after ?? 0, limit: query.limit ?? 100, ...(query.event ? { event: query.event } : {}) }) };
  });

  app.get('/admin/audit/verify', {
    schema: {
      summary: 'Recompute the audit hash chain; ok is false at the first altered, missing or reordered entry',
      tags: ['admin'], security: [{ admin: [] }],
      response: { 200: { type: 'object', properties: { ok: { type: 'boolean' }, entries: { type: 'integer' }, brokenAt: { type: 'integer' }, reason: { type: 'string' } } }, ...problems },
    },
  }, async () => ctx.store.audit.verify());
}
