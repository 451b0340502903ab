import type { TokenService } from './service.js';
import { generateSecret, readOrCreateSecret } from './bootstrap-secrets.js';

export const DEMO_CLIENT_ID = 'demo';
const DEMO_SECRET_PATH = 'token-service/demo-client-secret';

/**
 * The first-run demo client, so `npm start` can print a curl that works. Its secret is kept in
 * the secrets provider (unlike real clients' secrets) only so the curl can be printed again on
 * every start; disable it with AUTH_DEMO_CLIENT=false.
 */
export async function ensureDemoClient(service: TokenService, audience: string): Promise<{ clientId: string; secret: string }> {
  const { store, hasher, secrets } = service.context;
  const secret = await readOrCreateSecret(secrets, DEMO_SECRET_PATH, generateSecret);
  const existing = await store.clients.get(DEMO_CLIENT_ID);
  if (existing === undefined) {
    await store.clients.create({
      clientId: DEMO_CLIENT_ID, name: 'Demo client (created by npm start)', authMethod: 'client_secret_basic',
      secretHash: hasher.hash(secret), jwks: null, grantTypes: ['client_credentials', 'refresh_token'],
      scopes: ['demo.read', 'demo.write'], audiences: [audience], accessTokenTtlSeconds: null, boundIdentity: null, disabled: false,
    });
  } else if (!hasher.verify(secret, existing.secretHash)) {
    // The operator rotated it; keep their secret and say so rather than silently resetting it.
    return { clientId: DEMO_CLIENT_ID, secret: '<rotated: see authctl clients rotate-secret demo>' };
  }
  return { clientId: DEMO_CLIENT_ID, secret };
}
