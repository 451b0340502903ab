import type { FastifyInstance } from 'fastify';
import { sendProblem } from '../../../platform/index.js';
import type { BearerCredential } from '../../bearer-credential.js';
import type { TokenServiceContext } from '../../context.js';
import { problemFor } from '../../errors.js';
import { adminAuditRoutes, reportAuditHead } from './audit.js';
import { adminClientRoutes } from './clients.js';
import { adminKeyRoutes } from './keys.js';
import { adminRevocationRoutes } from './revocations.js';
import { adminSecretsRoutes } from './secrets.js';

/** The admin API: JSON in, problem+json errors, every route behind the admin credential. */
export async function adminRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, problemFor(error), error));
  // Operators need both: a workload identity on MESH_ALLOW_ADMIN (authctl) and the admin token.
  app.addHook('preHandler', ctx.mesh.requireIdentity(ctx.mesh.allow.admin));
  requireAdminCredential(app, ctx);
  reportAuditHead(app, ctx);
  await adminClientRoutes(app, ctx);
  await adminKeyRoutes(app, ctx);
  await adminRevocationRoutes(app, ctx);
  await adminAuditRoutes(app, ctx);
  await adminSecretsRoutes(app, ctx);
}

/** Every route of `app` needs the admin credential (see `requireBearerCredential`). */
export function requireAdminCredential(app: FastifyInstance, ctx: TokenServiceContext): void {
  requireBearerCredential(app, ctx, ctx.adminCredential, 'admin_auth_failed');
}

/**
 * Every route of `app` needs `credential`. The token is checked first, so the right one always
 * gets through; failures are audited as `failureEvent` and throttled per address (429 past the
 * budget).
 */
export function requireBearerCredential(app: FastifyInstance, ctx: TokenServiceContext, credential: BearerCredential, failureEvent: string): void {
  app.addHook('onRequest', async (request) => {
    try {
      credential.assert(request);
    } catch (error) {
      await ctx.failedAuth.recordAdminFailure(request.ip);
      await ctx.store.audit.append({ event: failureEvent, outcome: 'failure', ip: request.ip, details: { path: request.url.split('?')[0] } });
      throw error;
    }
  });
}
