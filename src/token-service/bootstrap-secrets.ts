import { randomBytes } from 'node:crypto';
import type { SecretsProvider } from '../secrets/index.js';

/** Reads a generated secret, creating it on first start; every replica then shares the stored one. */
export async function readOrCreateSecret(secrets: SecretsProvider, path: string, generate: () => string): Promise<string> {
  const existing = await secrets.read(path);
  if (existing?.value !== undefined) return existing.value;
  const value = generate();
  await secrets.write(path, { value });
  return value;
}

export const CLIENT_SECRET_PEPPER_PATH = 'token-service/client-secret-pepper';
export const ADMIN_TOKEN_PATH = 'token-service/admin-token';
/** Outside token-service's own prefix: the edges' secrets policy reads it too (deploy/vault/policies). */
export const REVOCATION_FEED_TOKEN_PATH = 'revocation-feed/token';

/** A server-generated secret: 256 random bits, base64url (client secrets, the pepper, the admin and feed tokens). */
export function generateSecret(): string {
  return randomBytes(32).toString('base64url');
}
