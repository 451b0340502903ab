import { readFile } from 'node:fs/promises';
import type { VaultAuthConfig } from '../../platform/index.js';
import type { VaultAuth, VaultClient } from './client.js';

/**
 * Logs in with the configured method. Credentials held in files (AppRole secret-id, the
 * projected Kubernetes service-account token) are read at every login, so a rotated file is
 * picked up without a restart. Returns undefined for the token method, which cannot log in.
 */
export async function login(client: VaultClient, auth: VaultAuthConfig): Promise<VaultAuth | undefined> {
  switch (auth.method) {
    case 'token':
      return undefined;
    case 'approle':
      return client.login(auth.mount, {
        role_id: await valueOf(auth.roleId, 'VAULT_ROLE_ID_FILE'),
        secret_id: await valueOf(auth.secretId, 'VAULT_SECRET_ID_FILE'),
      });
    case 'kubernetes':
      return client.login(auth.mount, { role: auth.role, jwt: await fileValue(auth.jwtFile, 'VAULT_K8S_TOKEN_FILE') });
  }
}

async function valueOf(source: { value: string } | { file: string }, variable: string): Promise<string> {
  return 'value' in source ? source.value : fileValue(source.file, variable);
}

async function fileValue(file: string, variable: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (error) {
    // The file name is configuration, not a secret; its content never appears here.
    throw new Error(`cannot read ${variable} (${file}): ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}
