import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig, Registry } from '../../src/platform/index.js';
import { createSecretsProvider, SecretsUnavailableError } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, databaseFixture } from './support.js';

describe('createSecretsProvider', () => {
  it('gives the embedded local provider by default, with no dynamic database credentials', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'secrets-'));
    try {
      const config = loadConfig({ AUTH_DATA_DIR: dir });
      const { secrets, database } = await createSecretsProvider({ platform: config.platform, vault: config.vault, logger: capturedLogger().logger });
      assert.equal(secrets.kind, 'local');
      assert.equal(database, undefined);
      await secrets.write('a/b', { c: 'd' });
      assert.equal((await secrets.read('a/b'))?.c, 'd');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the Vault provider from the environment, holding database credentials when VAULT_DB_ROLE is set', async () => {
    const fixture = await databaseFixture({ defaultTtlS: 60, maxTtlS: 120 });
    const standin = await VaultStandin.start({ databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role } });
    try {
      const config = loadConfig({ SECRETS_PROVIDER: 'vault', VAULT_ADDR: standin.addr, VAULT_TOKEN: standin.rootToken, VAULT_DB_ROLE: 'token-service' });
      const registry = new Registry();
      const { secrets, database } = await createSecretsProvider({ platform: config.platform, vault: config.vault, logger: capturedLogger().logger, registry });
      assert.equal(secrets.kind, 'vault');
      assert.match(database!.current().user, /^v-/);
      assert.match(await registry.metrics(), /vault_up 1/);
      await secrets.close();
      assert.deepEqual(standin.leaseIds(), [], 'closing gives the lease back');
    } finally {
      await standin.close();
      await fixture.drop();
    }
  });

  it('fails to start with secrets_unavailable when Vault cannot be reached', async () => {
    const standin = await VaultStandin.start();
    const addr = standin.addr;
    await standin.close();
    const config = loadConfig({ SECRETS_PROVIDER: 'vault', VAULT_ADDR: addr, VAULT_TOKEN: 'hvs.whatever', VAULT_REQUEST_TIMEOUT: '500ms' });
    await assert.rejects(
      createSecretsProvider({ platform: config.platform, vault: config.vault, logger: capturedLogger().logger }),
      (e: unknown) => e instanceof SecretsUnavailableError && /connection refused/.test(e.message) && !e.message.includes('hvs.whatever'),
    );
  });
});
