import type { FastifyInstance } from 'fastify';
import type { TokenServiceContext } from '../../context.js';
import { problems } from '../schemas.js';

const keyView = {
  type: 'object',
  properties: { kid: { type: 'string' }, alg: { type: 'string' }, state: { type: 'string', enum: ['pending', 'active', 'retiring'] }, activatesAt: { type: 'string' }, retiresAt: { type: ['string', 'null'] } },
} as const;

/** The key ring, and rotation on demand (scheduled rotation runs in the key ring itself). */
export async function adminKeyRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.get('/admin/keys', {
    schema: { summary: 'List published signing keys and their states', tags: ['admin'], security: [{ admin: [] }], response: { 200: { type: 'object', properties: { keys: { type: 'array', items: keyView } } }, ...problems } },
  }, async () => ({ keys: ctx.keyRing.describe() }));

  app.post('/admin/keys/rotate', {
    schema: {
      summary: 'Rotate the signing key: publish a new key, retire the others after the retention period (or now)',
      tags: ['admin'], security: [{ admin: [] }],
      body: {
        type: ['object', 'null'], additionalProperties: false,
        properties: {
          publishLeadSeconds: { type: 'integer', minimum: 0, maximum: 7 * 86_400, description: 'override AUTH_KEY_PUBLISH_LEAD' },
          retireOthersNow: { type: 'boolean', description: 'retire every other key at once (key compromise); their tokens stop verifying' },
        },
      },
      response: { 200: { type: 'object', properties: { kid: { type: 'string' }, activatesAt: { type: 'string' }, retired: { type: 'array', items: { type: 'string' } } } }, ...problems },
    },
  }, async (request) => {
    const body = (request.body ?? {}) as { publishLeadSeconds?: number; retireOthersNow?: boolean };
    const result = await ctx.keyRing.rotate({
      ...(body.publishLeadSeconds === undefined ? {} : { publishLeadMs: body.publishLeadSeconds * 1000 }),
      ...(body.retireOthersNow === undefined ? {} : { retireOthersNow: body.retireOthersNow }),
    });
    await ctx.store.audit.append({ event: 'key_rotated', outcome: 'success', actor: 'admin', ip: request.ip, details: { kid: result.kid, retired: result.retired } });
    return { kid: result.kid, activatesAt: result.activatesAt.toISOString(), retired: result.retired };
  });
}
