import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SecretsUnavailableError, VaultClient, VaultHttp, VaultProvider } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { expectGraceThenDown, expectRestored, SIGNING_KEY, startReadLoad } from './scenarios.js';
import { capturedLogger, eventually, sleep, testVaultConfig } from './support.js';

const GRACE_MS = 3_000;
const PATH = 'jwt/signing-keys/k1';

/**
 * The 5-minute rule, with the grace shortened: secret reads keep working while Vault is
 * sealed or unreachable, readiness says degraded and how much grace is left, then down; and
 * once Vault is back everything recovers without a restart.
 */
describe('Vault provider: grace while Vault is out', () => {
  let standin: VaultStandin;
  let provider: VaultProvider;
  let log: ReturnType<typeof capturedLogger>;

  beforeEach(async () => {
    standin = await VaultStandin.start();
    log = capturedLogger();
    provider = await VaultProvider.start({ config: testVaultConfig(standin, { gracePeriodMs: GRACE_MS }), logger: log.logger });
    await provider.write(PATH, SIGNING_KEY);
    await provider.read(PATH);
  });
  afterEach(async () => {
    await provider.close();
    await standin.close();
  });

  it('keeps serving through a seal, reports degraded then down, and recovers within 5 s of an unseal with 3 of 5 keys', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    standin.seal();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: sealed"')), 'logs vault: sealed');

    const operator = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 1_000 }), { token: () => undefined, reauthenticate: async () => false });
    const [, k2, , k4, k5] = standin.unsealKeys;
    for (const key of [k2!, k4!, k5!]) await operator.unseal(key);
    await operator.close();
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });

  it('keeps serving while connections are refused, then recovers when Vault listens again', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    await standin.refuseConnections();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: unreachable"') && l.includes('"vault":"refused"')));
    await standin.heal();
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });

  it('keeps serving while connections hang until the request timeout, then recovers', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    standin.hang();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: unreachable"') && l.includes('"vault":"timeout"')));
    await standin.heal();
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });

  it('keeps serving through a slow Vault that still answers within the timeout', async () => {
    standin.delay(100);
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(600);
    const counts = await load.stop();
    assert.equal(counts.failed, 0);
    assert.equal(provider.status().status, 'up');
  });

  it('treats a Vault that sys/health reports unusable as an outage, and a standby as usable', async () => {
    standin.setHealthMode('uninitialized');
    await eventually('degraded status', () => provider.status().status === 'degraded');
    assert.deepEqual(await provider.read(PATH), SIGNING_KEY);
    standin.setHealthMode('standby');
    await eventually('a standby is usable', () => provider.status().status === 'up', 5_000);
  });

  it('has no cached value to offer for a secret never read before the outage', async () => {
    standin.seal();
    await eventually('degraded status', () => provider.status().status === 'degraded');
    await assert.rejects(provider.read('jwt/signing-keys/other'), (e: unknown) => e instanceof SecretsUnavailableError);
    await assert.rejects(provider.write('jwt/signing-keys/other', { a: 'b' }), (e: unknown) => e instanceof SecretsUnavailableError);
  });
});
