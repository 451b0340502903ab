import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/platform/index.js';

describe('Vault configuration', () => {
  it('is absent with the local provider', () => {
    assert.equal(loadConfig({}).vault, undefined);
  });

  it("reads Vault's own variables and defaults the KV path to secret/auth-platform and the grace to 5 minutes", () => {
    const vault = loadConfig({ SECRETS_PROVIDER: 'vault', VAULT_ADDR: 'https://vault.example:8200/', VAULT_TOKEN: 'hvs.abcdefgh', VAULT_NAMESPACE: 'team' }).vault;
    assert.ok(vault);
    assert.equal(vault.addr, 'https://vault.example:8200');
    assert.equal(vault.namespace, 'team');
    assert.deepEqual(vault.auth, { method: 'token', token: 'hvs.abcdefgh' });
    assert.equal(`${vault.kvMount}/${vault.kvPrefix}`, 'secret/auth-platform');
    assert.equal(vault.gracePeriodMs, 5 * 60_000);
    assert.equal(vault.databaseRole, undefined);
    assert.ok(vault.backoffMaxMs <= 2_000, 'reconnect well within the 5 s the runbook promises');
  });

  it('reads AppRole ids from files and Kubernetes roles', () => {
    const approle = loadConfig({
      SECRETS_PROVIDER: 'vault', VAULT_ADDR: 'http://v:8200', VAULT_AUTH_METHOD: 'approle',
      VAULT_ROLE_ID: 'r', VAULT_SECRET_ID_FILE: '/run/secrets/secret-id', VAULT_DB_ROLE: 'token-service', VAULT_GRACE_PERIOD: '30s',
    }).vault;
    assert.deepEqual(approle?.auth, { method: 'approle', mount: 'approle', roleId: { value: 'r' }, secretId: { file: '/run/secrets/secret-id' } });
    assert.equal(approle?.databaseRole, 'token-service');
    assert.equal(approle?.gracePeriodMs, 30_000);
    const k8s = loadConfig({ SECRETS_PROVIDER: 'vault', VAULT_ADDR: 'http://v:8200', VAULT_AUTH_METHOD: 'kubernetes', VAULT_K8S_ROLE: 'edge' }).vault;
    assert.deepEqual(k8s?.auth, { method: 'kubernetes', mount: 'kubernetes', role: 'edge', jwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' });
  });

  it('names every bad variable at once, and never echoes a secret', () => {
    try {
      loadConfig({
        SECRETS_PROVIDER: 'vault', VAULT_AUTH_METHOD: 'approle', VAULT_SECRET_ID: 'super-secret-value', VAULT_SECRET_ID_FILE: '/x',
        VAULT_GRACE_PERIOD: 'soon', VAULT_KV_PREFIX: '../etc',
      });
      assert.fail('expected a ConfigError');
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      const variables = error.problems.map((p) => p.variable).sort();
      assert.deepEqual(variables, ['VAULT_ADDR', 'VAULT_GRACE_PERIOD', 'VAULT_KV_PREFIX', 'VAULT_ROLE_ID', 'VAULT_SECRET_ID']);
      assert.ok(!error.message.includes('super-secret-value'));
    }
  });
});
