import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { SecretsUnavailableError, VaultProvider } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, eventually, testVaultConfig } from './support.js';

const APPROLE = { roleId: 'role-1234', secretId: 'secret-id-never-logged' };
const K8S = { role: 'token-service', jwt: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2ln' };

describe('Vault provider: auth methods and the token', () => {
  let dir: string;
  let standin: VaultStandin;
  let provider: VaultProvider | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'vault-auth-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    await standin.close();
  });

  it('logs in with AppRole, from values or from files', async () => {
    standin = await VaultStandin.start({ auth: { approle: APPROLE } });
    writeFileSync(join(dir, 'secret-id'), `${APPROLE.secretId}\n`);
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { file: join(dir, 'secret-id') } } }),
      logger: capturedLogger().logger,
    });
    await provider.write('token-service/client-secret-pepper', { pepper: 'p' });
    assert.equal((await provider.read('token-service/client-secret-pepper'))?.pepper, 'p');
    assert.ok(standin.requests.includes('POST auth/approle/login'));
  });

  it('logs in with Kubernetes using the projected service-account token file', async () => {
    standin = await VaultStandin.start({ auth: { kubernetes: K8S } });
    writeFileSync(join(dir, 'token'), K8S.jwt);
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'kubernetes', mount: 'kubernetes', role: K8S.role, jwtFile: join(dir, 'token') } }),
      logger: capturedLogger().logger,
    });
    await provider.write('edge/redis', { password: 'r' });
    assert.ok(standin.requests.includes('POST auth/kubernetes/login'));
  });

  it('refuses to start with a clear error when the login is refused or the token file is missing', async () => {
    standin = await VaultStandin.start({ auth: { approle: APPROLE } });
    const wrong = VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { value: 'wrong' } } }),
      logger: capturedLogger().logger,
    });
    await assert.rejects(wrong, (e: unknown) => e instanceof SecretsUnavailableError && /invalid role or secret ID/.test(e.message) && !e.message.includes('wrong'));
    const missing = VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'kubernetes', mount: 'kubernetes', role: 'x', jwtFile: join(dir, 'absent') } }),
      logger: capturedLogger().logger,
    });
    await assert.rejects(missing, /cannot read VAULT_K8S_TOKEN_FILE .*ENOENT/);
    const badToken = VaultProvider.start({ config: testVaultConfig(standin, { auth: { method: 'token', token: 'hvs.not-a-token' } }), logger: capturedLogger().logger });
    await assert.rejects(badToken, /HTTP 403: permission denied/);
  });

  it('renews its token at about two thirds of the TTL, and logs in again when the max TTL caps it', async () => {
    standin = await VaultStandin.start({ auth: { approle: APPROLE, tokenTtlS: 1, tokenMaxTtlS: 2 } });
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { value: APPROLE.secretId } } }),
      logger: capturedLogger().logger,
    });
    await eventually('a token renewal', () => standin.requests.includes('POST auth/token/renew-self'), 3_000);
    await eventually('a second login', () => standin.requests.filter((r) => r === 'POST auth/approle/login').length >= 2, 5_000);
    await provider.write('a/b', { c: 'd' });
  });

  it('logs in again and retries when Vault no longer knows the token', async () => {
    standin = await VaultStandin.start({ auth: { approle: APPROLE } });
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { value: APPROLE.secretId } } }),
      logger: capturedLogger().logger,
    });
    await provider.write('a/b', { c: 'd' });
    standin.expireTokens();
    assert.equal((await provider.read('a/b'))?.c, 'd');
    assert.equal(standin.requests.filter((r) => r === 'POST auth/approle/login').length, 2);
  });
});
