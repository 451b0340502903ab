import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp } from '../platform/index.js';
import type { TokenServiceContext } from './context.js';
import { adminRoutes } from './routes/admin/index.js';
import { discoveryRoutes } from './routes/discovery.js';
import { internalRoutes } from './routes/internal.js';
import { oauthRoutes } from './routes/oauth.js';
import { rejectUnstorableText } from './unstorable-text.js';

async function openApi(app: FastifyInstance, ctx: TokenServiceContext, audience: 'public' | 'internal'): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `auth-platform token-service (${audience} listener)`,
        version: '1',
        description: audience === 'public'
          ? 'OAuth 2.0 authorization server: metadata, keys, token issuance, introspection and revocation.'
          : 'Internal APIs for trusted workloads (mesh identity) and operators (admin token).',
      },
      servers: [{ url: audience === 'public' ? ctx.config.issuer : `http://${ctx.config.internalHost}:${ctx.config.internalPort}` }],
      components: { securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'the admin token (AUTH_ADMIN_TOKEN or AUTH_DATA_DIR/admin-token)' } } },
    },
  });
}

/** The public listener: what OAuth clients and resource servers call. */
export async function buildPublicApp(ctx: TokenServiceContext): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: ctx.logger, metrics: ctx.metrics, readiness: ctx.readiness, bodyLimitBytes: ctx.config.bodyLimitBytes,
    // Client certificates are optional here: they only matter to identity-bound clients.
    https: ctx.mesh.serverOptions('optional'),
  });
  ctx.mesh.install(app);
  await openApi(app, ctx, 'public');
  app.addHook('preValidation', rejectUnstorableText);
  await app.register(async (scope) => discoveryRoutes(scope, ctx));
  await app.register(async (scope) => oauthRoutes(scope, ctx));
  app.get('/openapi.json', { schema: { summary: 'This OpenAPI document', tags: ['discovery'] } }, async () => app.swagger());
  return app;
}

/** The internal listener: only workloads on an endpoint's allowlist, and operators, reach it. */
export async function buildInternalApp(ctx: TokenServiceContext): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: ctx.logger, metrics: ctx.metrics, readiness: ctx.readiness, bodyLimitBytes: ctx.config.bodyLimitBytes,
    https: ctx.mesh.serverOptions('required'),
  });
  ctx.mesh.install(app);
  await openApi(app, ctx, 'internal');
  app.addHook('preValidation', rejectUnstorableText);
  await app.register(async (scope) => internalRoutes(scope, ctx));
  await app.register(async (scope) => adminRoutes(scope, ctx));
  app.get('/openapi.json', { schema: { summary: 'This OpenAPI document', tags: ['discovery'] } }, async () => app.swagger());
  return app;
}
