import type { FastifyInstance } from 'fastify';
import type { TokenServiceContext } from '../../context.js';
import { problems } from '../schemas.js';

const leaseView = {
  type: 'object',
  properties: {
    leaseId: { type: 'string' }, role: { type: 'string' }, databaseUser: { type: 'string' },
    issuedAt: { type: 'string' }, lastRenewal: { type: ['string', 'null'] }, expiresAt: { type: 'string' },
    ttlS: { type: 'integer' }, renewable: { type: 'boolean' },
  },
} as const;

/**
 * The secrets provider as this replica sees it, for `authctl leases list` (runbook: Secret
 * Rotation Failure): which provider, its state with the grace left, and the leases it keeps
 * renewed. Identifiers and times only; it answers from memory, so it works while Vault is down.
 */
export async function adminSecretsRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.get('/admin/secrets', {
    schema: {
      summary: 'The secrets provider: kind, state (with the grace left during a Vault outage) and the leases held',
      tags: ['admin'], security: [{ admin: [] }],
      response: {
        200: {
          type: 'object',
          properties: {
            provider: { type: 'string', enum: ['local', 'vault'] },
            status: { type: 'object', additionalProperties: true, properties: { status: { type: 'string' }, detail: { type: 'string' } } },
            leases: { type: 'array', items: leaseView },
          },
        },
        ...problems,
      },
    },
  }, async () => ({ provider: ctx.secrets.kind, status: ctx.secrets.status(), leases: ctx.secrets.leases() }));
}
