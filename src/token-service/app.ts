import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, NO_PROXY_TRUST, type ProxyTrust } from '../platform/index.js';
import type { ClientCertificatePolicy } from '../mesh/index.js';
import type { TokenServiceContext } from './context.js';
import { adminRoutes } from './routes/admin/index.js';
import { discoveryRoutes } from './routes/discovery.js';
import { internalRoutes } from './routes/internal.js';
import { oauthRoutes } from './routes/oauth.js';
import { revocationFeedRoutes } from './routes/revocation-feed.js';
import { rejectUnstorableText } from './unstorable-text.js';

type RoutePlugin = (app: FastifyInstance, ctx: TokenServiceContext) => Promise<void>;

interface Listener {
  name: 'public' | 'internal';
  description: string;
  serverUrl: string;
  clientCertificate: ClientCertificatePolicy;
  /** Which peers may name the client in X-Forwarded-For (failed-auth buckets, audit entries). */
  trustProxy: ProxyTrust;
  routes: RoutePlugin[];
}

/** One listener: the shared bootstrap, caller identity, its routes, and its own OpenAPI document. */
async function buildListener(ctx: TokenServiceContext, listener: Listener): Promise<FastifyInstance> {
  const app = createHttpApp({
    logger: ctx.logger, metrics: ctx.metrics, readiness: ctx.readiness, bodyLimitBytes: ctx.config.bodyLimitBytes,
    https: ctx.mesh.serverOptions(listener.clientCertificate), trustProxy: listener.trustProxy,
  });
  ctx.mesh.install(app);
  // NUL or an unpaired surrogate would reach PostgreSQL and fail as a 500 (malformed-requests tests).
  app.addHook('preValidation', rejectUnstorableText);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `auth-platform token-service (${listener.name} listener)`, version: '1', description: listener.description },
      servers: [{ url: listener.serverUrl }],
      components: {
        securitySchemes: {
          admin: { type: 'http', scheme: 'bearer', description: 'the admin token (AUTH_ADMIN_TOKEN or AUTH_DATA_DIR/admin-token)' },
          revocationFeed: { type: 'http', scheme: 'bearer', description: 'the revocation feed token (AUTH_REVOCATION_FEED_TOKEN, or generated and stored at revocation-feed/token)' },
        },
      },
    },
  });
  for (const routes of listener.routes) await app.register(async (scope) => routes(scope, ctx));
  app.get('/openapi.json', { schema: { summary: 'This OpenAPI document', tags: ['discovery'] } }, async () => app.swagger());
  return app;
}

/** The public listener: what OAuth clients and resource servers call. */
export function buildPublicApp(ctx: TokenServiceContext): Promise<FastifyInstance> {
  return buildListener(ctx, {
    name: 'public',
    description: 'OAuth 2.0 authorization server: metadata, keys, token issuance, introspection and revocation.',
    serverUrl: ctx.config.issuer,
    // Client certificates are optional here: they only matter to identity-bound clients.
    clientCertificate: 'optional',
    trustProxy: ctx.config.trustProxy,
    routes: [discoveryRoutes, oauthRoutes],
  });
}

/** The internal listener: only workloads on an endpoint's allowlist, and operators, reach it. */
export function buildInternalApp(ctx: TokenServiceContext): Promise<FastifyInstance> {
  return buildListener(ctx, {
    name: 'internal',
    description: 'Internal APIs for trusted workloads (mesh identity) and operators (admin token).',
    serverUrl: `${ctx.mesh.mode === 'native' ? 'https' : 'http'}://${ctx.config.internalHost}:${ctx.config.internalPort}`,
    clientCertificate: 'required',
    // Mesh peers call this listener directly; a hop count here would let any of them name its own address.
    trustProxy: NO_PROXY_TRUST,
    routes: [internalRoutes, revocationFeedRoutes, adminRoutes],
  });
}
