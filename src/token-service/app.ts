import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../platform/index.js';
import type { TokenServiceContext } from './context.js';
import { adminRoutes } from './routes/admin/index.js';
import { discoveryRoutes } from './routes/discovery.js';
import { internalRoutes } from './routes/internal.js';
import { oauthRoutes } from './routes/oauth.js';
import { rejectUnstorableText } from './unstorable-text.js';

/** The token-service's HTTP surface; reads as its table of contents. */
export async function buildTokenServiceApp(ctx: TokenServiceContext): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: ctx.logger,
    metrics: ctx.metrics,
    readiness: ctx.readiness,
    bodyLimitBytes: ctx.config.bodyLimitBytes,
  });
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'auth-platform token-service', version: '1', description: 'OAuth 2.0 authorization server: token issuance, introspection, revocation, keys and administration.' },
      servers: [{ url: ctx.config.issuer }],
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'the admin token (AUTH_ADMIN_TOKEN or AUTH_DATA_DIR/admin-token)' } } },
    },
  });
  app.addHook('preValidation', rejectUnstorableText);
  await app.register(async (scope) => discoveryRoutes(scope, ctx));
  await app.register(async (scope) => oauthRoutes(scope, ctx));
  await app.register(async (scope) => internalRoutes(scope, ctx));
  await app.register(async (scope) => adminRoutes(scope, ctx));
  app.get('/openapi.json', { schema: { summary: 'This OpenAPI document', tags: ['discovery'] } }, async () => app.swagger());
  return app;
}
