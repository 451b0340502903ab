export { createTokenService, type TokenService, type TokenServiceOptions } from './service.js';
export { ensureDemoClient, DEMO_CLIENT_ID } from './demo-client.js';
export type { TokenServiceContext } from './context.js';
export { signingKeySecretPath } from './keys/key-ring.js';
export { REVOCATION_FEED_TOKEN_PATH } from './bootstrap-secrets.js';
