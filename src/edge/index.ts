export { createEdgeService, type EdgeService, type EdgeServiceOptions } from './edge-service.js';
export { REFUSALS, type RefusalCode } from './errors.js';
export { FORWARD_AUTH_PATH } from './forward-auth.js';
export { edgeSecretsStatus } from './secrets-readiness.js';
export { parseRoutes, readRouteFile, RouteConfigError, type RouteDefinition, type RouteSpec } from './routes/route-definition.js';
export { startDemoUpstream, demoRoutes, type DemoUpstream } from './demo-upstream.js';
