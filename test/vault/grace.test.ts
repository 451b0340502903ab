import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { SecretsUnavailableError, VaultClient, VaultHttp, VaultProvider } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, eventually, sleep, testVaultConfig } from './support.js';

const GRACE_MS = 1_500;
const KEY = { kid: 'k1', alg: 'ES256', privateJwk: '{"kty":"EC","d":"never-logged"}' };

/**
 * The 5-minute rule, with the grace shortened: secret reads keep working while Vault is
 * sealed or unreachable, readiness says degraded and how much grace is left, then down; and
 * once Vault is back everything recovers without a restart.
 */
describe('Vault provider: grace while Vault is out', () => {
  let standin: VaultStandin;
  let provider: VaultProvider;
  let log: ReturnType<typeof capturedLogger>;
  let load: { stop(): Promise<{ ok: number; failed: number }> };

  beforeEach(async () => {
    standin = await VaultStandin.start();
    log = capturedLogger();
    provider = await VaultProvider.start({ config: testVaultConfig(standin, { gracePeriodMs: GRACE_MS }), logger: log.logger });
    await provider.write('jwt/signing-keys/k1', KEY);
    await provider.read('jwt/signing-keys/k1');
  });
  afterEach(async () => {
    await provider.close();
    await standin.close();
  });

  /** What the signing path does on every token: check the provider, read the key. */
  function startLoad(): typeof load {
    let running = true;
    const counts = { ok: 0, failed: 0 };
    const loop = (async () => {
      while (running) {
        try {
          assert.deepEqual(await provider.read('jwt/signing-keys/k1'), KEY);
          counts.ok += 1;
        } catch {
          counts.failed += 1;
        }
        await sleep(5);
      }
    })();
    return { stop: async () => { running = false; await loop; return counts; } };
  }

  async function expectGraceThenDown(): Promise<void> {
    await eventually('degraded status', () => provider.status().status === 'degraded');
    const degraded = provider.status();
    assert.ok(typeof degraded.graceRemainingMs === 'number' && degraded.graceRemainingMs > 0 && degraded.graceRemainingMs <= GRACE_MS);
    assert.match(String(degraded.detail), /serving cached secrets/);
    // The grace is not over yet: every read so far has been answered.
    const during = await load.stop();
    assert.equal(during.failed, 0, 'no read fails during the grace');
    assert.ok(during.ok > 0);

    await eventually('down after the grace', () => provider.status().status === 'down', GRACE_MS + 3_000);
    const error = await provider.read('jwt/signing-keys/k1').catch((e: unknown) => e);
    assert.ok(error instanceof SecretsUnavailableError, 'reads throw after the grace');
    assert.equal(error.code, 'secrets_unavailable');
  }

  async function expectRestored(): Promise<void> {
    const since = Date.now();
    await eventually('restored', () => provider.status().status === 'up', 5_000);
    assert.ok(Date.now() - since <= 5_000);
    assert.deepEqual(await provider.read('jwt/signing-keys/k1'), KEY);
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: connection restored"')), 'logs vault: connection restored');
  }

  it('keeps serving through a seal, reports degraded then down, and recovers within 5 s of an unseal with 3 of 5 keys', async () => {
    load = startLoad();
    await sleep(50);
    standin.seal();
    await expectGraceThenDown();
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: sealed"')), 'logs vault: sealed');

    const operator = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 1_000 }), { token: () => undefined, reauthenticate: async () => false });
    const [, k2, , k4, k5] = standin.unsealKeys;
    for (const key of [k2!, k4!, k5!]) await operator.unseal(key);
    await operator.close();
    await expectRestored();
  });

  it('keeps serving while connections are refused, then recovers when Vault listens again', async () => {
    load = startLoad();
    await sleep(50);
    await standin.refuseConnections();
    await expectGraceThenDown();
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: unreachable"') && l.includes('"vault":"refused"')));
    await standin.heal();
    await expectRestored();
  });

  it('keeps serving while connections hang until the request timeout, then recovers', async () => {
    load = startLoad();
    await sleep(50);
    standin.hang();
    await expectGraceThenDown();
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: unreachable"') && l.includes('"vault":"timeout"')));
    await standin.heal();
    await expectRestored();
  });

  it('treats a Vault answering 5xx to sys/health as an outage', async () => {
    standin.setHealthMode('uninitialized');
    await eventually('degraded status', () => provider.status().status === 'degraded');
    assert.deepEqual(await provider.read('jwt/signing-keys/k1'), KEY);
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
