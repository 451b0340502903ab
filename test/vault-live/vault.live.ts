import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { VaultConfig } from '../../src/platform/index.js';
import { VaultClient, VaultHttp, VaultProvider } from '../../src/secrets/index.js';
import {
  expectGraceThenDown, expectKeysReadableAcrossRotation, expectRestored, expectRevokedLeaseReplaced, SIGNING_KEY, startReadLoad,
} from '../vault/scenarios.js';
import { capturedLogger, sleep } from '../vault/support.js';
import { TcpFaultProxy } from '../support/tcp-fault-proxy.js';

/**
 * The stand-in scenarios against a real Vault or OpenBao (`npm run test:vault-live`).
 *   VAULT_ADDR, VAULT_TOKEN            required; KV v2 mounted at VAULT_LIVE_KV_MOUNT (default secret)
 *   VAULT_LIVE_DB_ROLE and             a database engine role (deploy/vault/setup-database.sh) for the lease scenarios,
 *   VAULT_LIVE_DATABASE_URL            and the PostgreSQL it issues users for (its host and database; the user is Vault's)
 *   VAULT_LIVE_ALLOW_SEAL=1 and        the seal scenario seals this Vault and unseals it again with
 *   VAULT_LIVE_UNSEAL_KEYS=k1,k2,k3    three key shares: never point it at a Vault others use
 * Unreachable (refused, hanging) goes through a local TCP proxy, so Vault itself is untouched.
 */
const env = process.env;
const ADDR = env.VAULT_ADDR;
const TOKEN = env.VAULT_TOKEN;
const missing = ADDR === undefined || ADDR === '' || TOKEN === undefined || TOKEN === '';
const SKIP_ALL = missing ? 'VAULT_ADDR and VAULT_TOKEN are not set: no real Vault/OpenBao to run against (see docs/vault.md, "Live suite")' : false;
const UNSEAL_KEYS = (env.VAULT_LIVE_UNSEAL_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k !== '');
const SKIP_SEAL = env.VAULT_LIVE_ALLOW_SEAL !== '1' || UNSEAL_KEYS.length < 3
  ? 'sealing a real Vault needs VAULT_LIVE_ALLOW_SEAL=1 and VAULT_LIVE_UNSEAL_KEYS (3 shares)'
  : false;
const SKIP_DB = env.VAULT_LIVE_DB_ROLE === undefined || env.VAULT_LIVE_DATABASE_URL === undefined
  ? 'VAULT_LIVE_DB_ROLE and VAULT_LIVE_DATABASE_URL are not both set: no database engine role to take leases from and query with'
  : false;
const GRACE_MS = 3_000;
const PREFIX = `auth-platform-live-${randomBytes(4).toString('hex')}`;
const PATH = 'jwt/signing-keys/k1';

function liveConfig(addr: string, overrides: Partial<VaultConfig> = {}): VaultConfig {
  return {
    addr,
    caCertFile: env.VAULT_CACERT,
    namespace: env.VAULT_NAMESPACE,
    auth: { method: 'token', token: TOKEN ?? '' },
    kvMount: env.VAULT_LIVE_KV_MOUNT ?? 'secret',
    kvPrefix: PREFIX,
    databaseMount: env.VAULT_LIVE_DB_MOUNT ?? 'database',
    databaseRole: undefined,
    gracePeriodMs: GRACE_MS,
    requestTimeoutMs: 1_000,
    backoffMinMs: 100,
    backoffMaxMs: 1_000,
    healthIntervalMs: 500,
    leaseCheckIntervalMs: 1_000,
    ...overrides,
  };
}

describe('live Vault: KV v2 signing keys', { skip: SKIP_ALL }, () => {
  let provider: VaultProvider;
  before(async () => {
    provider = await VaultProvider.start({ config: liveConfig(ADDR!), logger: capturedLogger().logger });
  });
  after(() => provider.close());

  it('reads every signing key back across a rotation', async () => {
    await expectKeysReadableAcrossRotation(provider, 'jwt/signing-keys');
  });
});

describe('live Vault: unreachable through a proxy', { skip: SKIP_ALL }, () => {
  let proxy: TcpFaultProxy;
  let provider: VaultProvider;
  const log = capturedLogger();
  before(async () => {
    proxy = await TcpFaultProxy.start(ADDR!);
    provider = await VaultProvider.start({ config: liveConfig(proxy.addr(ADDR!)), logger: log.logger });
    await provider.write(PATH, SIGNING_KEY);
    await provider.read(PATH);
  });
  after(async () => {
    await provider.close();
    await proxy.close();
  });

  it('serves through refused connections for the grace, then down, then recovers', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    await proxy.refuse();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    await proxy.heal();
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });

  it('serves through hanging connections for the grace, then down, then recovers', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    proxy.hang();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    await proxy.heal();
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });
});

describe('live Vault: sealed', { skip: SKIP_ALL || SKIP_SEAL }, () => {
  let provider: VaultProvider;
  let operator: VaultClient;
  const log = capturedLogger();
  before(async () => {
    provider = await VaultProvider.start({ config: liveConfig(ADDR!), logger: log.logger });
    operator = new VaultClient(new VaultHttp({ addr: ADDR!, caCertFile: env.VAULT_CACERT, timeoutMs: 5_000 }), { token: () => TOKEN, reauthenticate: async () => false });
    await provider.write(PATH, SIGNING_KEY);
    await provider.read(PATH);
  });
  after(async () => {
    if ((await operator.sealStatus()).sealed) for (const key of UNSEAL_KEYS.slice(0, 3)) await operator.unseal(key);
    await provider.close();
    await operator.close();
  });

  it('serves through a seal for the grace, then down, and recovers within 5 s of an unseal with 3 keys', async () => {
    const load = startReadLoad(provider, PATH, SIGNING_KEY);
    await sleep(50);
    await operator.seal();
    await expectGraceThenDown(provider, load, GRACE_MS, PATH);
    for (const key of UNSEAL_KEYS.slice(0, 3)) await operator.unseal(key);
    assert.equal((await operator.sealStatus()).sealed, false);
    await expectRestored(provider, log.lines, PATH, SIGNING_KEY);
  });
});

describe('live Vault: database leases', { skip: SKIP_ALL || SKIP_DB }, () => {
  let provider: VaultProvider;
  let operator: VaultClient;
  before(async () => {
    provider = await VaultProvider.start({ config: liveConfig(ADDR!, { databaseRole: env.VAULT_LIVE_DB_ROLE! }), logger: capturedLogger().logger });
    operator = new VaultClient(new VaultHttp({ addr: ADDR!, caCertFile: env.VAULT_CACERT, timeoutMs: 5_000 }), { token: () => TOKEN, reauthenticate: async () => false });
  });
  after(async () => {
    await provider.close();
    await operator.close();
  });

  it('replaces a lease revoked from outside within seconds, failing no query of a loop running through the swap', async () => {
    await expectRevokedLeaseReplaced(provider, env.VAULT_LIVE_DATABASE_URL!, (leaseId) => operator.leaseRevoke(leaseId));
  });
});
