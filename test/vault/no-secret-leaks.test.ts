import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from '../../src/platform/index.js';
import { SecretsUnavailableError, VaultProvider } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, databaseFixture, eventually, sleep, testVaultConfig } from './support.js';

const APPROLE = { roleId: 'role-id-7f3a', secretId: 'secret-id-5b1e-do-not-log' };
const KEY_MATERIAL = 'private-key-material-d-9c4f';

/**
 * Drives the provider through login, token renewal, KV, database leases, renewal failures,
 * an external revocation and a seal, then looks for every secret it handled in everything
 * an operator or a caller can see: log lines, error messages, metrics and readiness output.
 */
describe('Vault provider: no secret leaves the process', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;
  let provider: VaultProvider;
  const log = capturedLogger();
  const registry = new Registry();
  const seen: string[] = [];
  const secrets: string[] = [APPROLE.secretId, KEY_MATERIAL];

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 2, maxTtlS: 60 });
    standin = await VaultStandin.start({
      databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role }, auth: { approle: APPROLE, tokenTtlS: 2, tokenMaxTtlS: 60 },
    });
    secrets.push(standin.rootToken, ...standin.unsealKeys);
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, {
        gracePeriodMs: 300, databaseRole: 'token-service',
        auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { value: APPROLE.secretId } },
      }),
      logger: log.logger, registry, leaseDrainMs: 50,
    });
    provider.database!.onCredentials((c) => void secrets.push(c.password));
    secrets.push(provider.database!.current().password);
  });
  after(async () => {
    await provider.close();
    await standin.close();
    await fixture.drop();
  });

  it('keeps tokens, secret ids, unseal keys, passwords and key material out of logs, errors, metrics and status', async () => {
    await provider.write('jwt/signing-keys/k1', { d: KEY_MATERIAL });
    await provider.read('jwt/signing-keys/k1');
    await eventually('a token renewal', () => standin.requests.includes('POST auth/token/renew-self'), 4_000);
    standin.failRenewals();
    const first = provider.database!.current().user;
    await eventually('credentials replaced after failing renewals', () => provider.database!.current().user !== first, 6_000);
    await standin.heal();
    await standin.revokeLease(standin.leaseIds()[0]!);
    await eventually('credentials replaced after a revocation', () => provider.database!.current().user !== first, 6_000);
    for (const token of standin.state.tokens.keys()) secrets.push(token);

    standin.seal();
    await eventually('down after the grace', () => provider.status().status === 'down', 5_000);
    seen.push(JSON.stringify(provider.status()));
    const error = await provider.read('jwt/signing-keys/k1').catch((e: unknown) => e);
    assert.ok(error instanceof SecretsUnavailableError);
    seen.push(error.message, String(error.stack), String((error.cause as Error | undefined)?.message));
    seen.push(await registry.metrics());
    await sleep(50);
    seen.push(log.text());
    for (const token of standin.state.tokens.keys()) secrets.push(token);

    const everything = seen.join('\n');
    for (const secret of secrets) assert.ok(!everything.includes(secret), `a secret leaked (${secret.slice(0, 4)}…)`);
    // The story is still there for an operator.
    assert.match(log.text(), /vault: sealed/);
    assert.match(await registry.metrics(), /vault_up\{?[^\n]*\}? 0/);
  });
});
