import type { FastifyInstance } from 'fastify';
import { HttpProblem } from '../../../platform/index.js';
import type { TokenServiceContext } from '../../context.js';
import { longestAccessTokenTtlMs } from '../../token-minter.js';
import { problems } from '../schemas.js';

/** Operator revocations: one access token, one refresh family, or everything issued before now. */
export async function adminRevocationRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.post('/admin/tokens/revoke', {
    schema: {
      summary: 'Revoke one access token by its jti',
      description: 'The jti is all that is needed; the entry is kept for the longest access-token lifetime, since nothing the caller says about the token\'s expiry is trusted.',
      tags: ['admin'], security: [{ admin: [] }],
      body: { type: 'object', additionalProperties: false, required: ['jti'], properties: { jti: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\x21-\\x7E]+$' } } },
      response: { 200: { type: 'object', properties: { jti: { type: 'string' }, expiresAt: { type: 'string' } } }, ...problems },
    },
  }, async (request) => {
    const { jti } = request.body as { jti: string };
    // Any token this jti names was issued before now, so it is dead by now plus the longest lifetime.
    const expiresAt = new Date(ctx.now() + longestAccessTokenTtlMs(ctx.config.accessTokenTtlMs));
    await ctx.revocations.revoke('jti', jti, expiresAt);
    await ctx.store.audit.append({ event: 'token_revoked', outcome: 'success', actor: 'admin', ip: request.ip, details: { jti, by: 'admin' } });
    return { jti, expiresAt: expiresAt.toISOString() };
  });

  app.post('/admin/families/:familyId/revoke', {
    schema: {
      summary: 'Revoke a refresh-token family and every access token minted from it',
      tags: ['admin'], security: [{ admin: [] }],
      params: { type: 'object', required: ['familyId'], properties: { familyId: { type: 'string', minLength: 1, maxLength: 128 } } },
      response: { 200: { type: 'object', properties: { familyId: { type: 'string' }, revoked: { type: 'boolean' } } }, ...problems },
    },
  }, async (request) => {
    const { familyId } = request.params as { familyId: string };
    const family = await ctx.store.refreshFamilies.get(familyId);
    if (family === undefined) throw new HttpProblem(404, 'family_not_found', 'Refresh family not found');
    const now = ctx.now();
    const revoked = await ctx.store.refreshFamilies.revoke(familyId, 'admin_revoked', new Date(now));
    if (revoked) await ctx.revocations.revoke('family', familyId, new Date(now + longestAccessTokenTtlMs(ctx.config.accessTokenTtlMs)));
    await ctx.store.audit.append({ event: 'family_revoked', outcome: 'success', actor: 'admin', clientId: family.clientId, subject: family.subject, ip: request.ip, details: { familyId, by: 'admin' } });
    return { familyId, revoked };
  });

  app.post('/admin/revoke-all', {
    schema: {
      summary: 'Revoke every token issued before now (a revoke-all epoch) and every refresh family',
      tags: ['admin'], security: [{ admin: [] }],
      response: { 200: { type: 'object', properties: { epoch: { type: 'integer' }, familiesRevoked: { type: 'integer' } } }, ...problems },
    },
  }, async (request) => {
    const now = ctx.now();
    const epoch = Math.floor(now / 1000);
    await ctx.revocations.revoke('epoch', String(epoch), null);
    const familiesRevoked = await ctx.store.refreshFamilies.revokeAll('revoke_all', new Date(now));
    await ctx.store.audit.append({ event: 'revoke_all', outcome: 'success', actor: 'admin', ip: request.ip, details: { epoch, familiesRevoked } });
    request.log.warn({ epoch, familiesRevoked }, 'revoke-all epoch set');
    return { epoch, familiesRevoked };
  });
}
