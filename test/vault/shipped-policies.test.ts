import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { SecretsUnavailableError, VaultClient, VaultHttp, VaultPermissionError, VaultProvider, VaultRequestError } from '../../src/secrets/index.js';
import { loadPolicyFiles, VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, databaseFixture, testVaultConfig } from './support.js';

const POLICIES = loadPolicyFiles('deploy/vault/policies');
const APPROLE = { roleId: 'edge-role', secretId: 'edge-secret-id', policies: ['auth-edge-service'] };

/**
 * The stand-in enforces the policy files we ship (deploy/vault/policies/*.hcl), so every test that
 * runs a service on it with that service's policy proves the policy is enough, and a service
 * that reaches outside its policy gets a permission error naming the path, not a token error.
 */
describe('the shipped Vault policies, enforced by the stand-in', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 60, maxTtlS: 120 });
    standin = await VaultStandin.start({
      databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role }, policies: POLICIES, auth: { approle: APPROLE },
    });
  });
  after(async () => {
    await standin.close();
    await fixture.drop();
  });

  function clientWith(policies: string[]): { client: VaultClient; close(): Promise<void> } {
    const token = standin.createToken(policies);
    const client = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 2_000 }), { token: () => token, reauthenticate: async () => false });
    return { client, close: () => client.close() };
  }

  async function forbidden(call: Promise<unknown>): Promise<boolean> {
    return call.then(() => false, (error: unknown) => error instanceof VaultRequestError && error.status === 403);
  }

  it("lets token-service's token do what token-service does, and nothing of the edge's or the operator's", async () => {
    const { client, close } = clientWith(['token-service']);
    try {
      await client.kvWrite('secret', 'auth-platform/jwt/signing-keys/k1', { jwk: '{}' });
      await client.kvWrite('secret', 'auth-platform/jwt/signing-keys/k1', { jwk: '{"v":2}' });
      assert.equal((await client.kvRead('secret', 'auth-platform/jwt/signing-keys/k1'))?.version, 2);
      await client.kvWrite('secret', 'auth-platform/token-service/admin-token', { value: 'x' });
      const creds = await client.databaseCredentials('database', 'token-service');
      await client.leaseLookup(creds.leaseId);
      await client.leaseRenew(creds.leaseId, 60);
      await client.leaseRevoke(creds.leaseId);

      assert.ok(await forbidden(client.kvRead('secret', 'auth-platform/edge/redis')), 'edge/redis belongs to the edge');
      assert.ok(await forbidden(client.kvWrite('secret', 'auth-platform/other/x', { a: 'b' })));
      assert.ok(await forbidden(client.seal()));
      assert.ok(await forbidden(client.leaseRevokePrefix('database/creds/token-service')), 'revoke-prefix is the operator\'s, with sudo');
    } finally {
      await close();
    }
  });

  it("lets the edge's token read edge/* only, and the operator's revoke every token-service lease with sudo", async () => {
    const edge = clientWith(['auth-edge-service']);
    const operator = clientWith(['auth-platform-operator']);
    const root = clientWith(['root']);
    try {
      await root.client.kvWrite('secret', 'auth-platform/edge/redis', { url: 'redis://r' });
      assert.equal((await edge.client.kvRead('secret', 'auth-platform/edge/redis'))?.data.url, 'redis://r');
      assert.ok(await forbidden(edge.client.kvWrite('secret', 'auth-platform/edge/redis', { url: 'x' })));
      assert.ok(await forbidden(edge.client.kvRead('secret', 'auth-platform/jwt/signing-keys/k1')));
      assert.ok(await forbidden(edge.client.databaseCredentials('database', 'token-service')));

      const creds = await root.client.databaseCredentials('database', 'token-service');
      await operator.client.leaseLookup(creds.leaseId);
      await operator.client.leaseRevokePrefix('database/creds/token-service');
      assert.deepEqual(standin.leaseIds(), []);
      assert.ok(await forbidden(operator.client.leaseRevokePrefix('database/creds/other')));
    } finally {
      await Promise.all([edge.close(), operator.close(), root.close()]);
    }
  });
});

describe('a path outside the policy', () => {
  let standin: VaultStandin;
  let provider: VaultProvider | undefined;
  afterEach(async () => {
    await provider?.close();
    provider = undefined;
    await standin.close();
  });

  it('is a permission error naming the path after one new login, not an expired token', async () => {
    standin = await VaultStandin.start({ policies: POLICIES, auth: { approle: APPROLE } });
    const log = capturedLogger();
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'approle', mount: 'approle', roleId: { value: APPROLE.roleId }, secretId: { value: APPROLE.secretId } } }),
      logger: log.logger,
    });
    const error = await provider.read('jwt/signing-keys/k1').catch((e: unknown) => e);
    assert.ok(error instanceof SecretsUnavailableError);
    assert.ok(error.cause instanceof VaultPermissionError, String(error));
    assert.equal(error.cause.code, 'vault_permission_denied');
    assert.match(error.message, /does not allow read on secret\/data\/auth-platform\/jwt\/signing-keys\/k1/);
    assert.equal(standin.requests.filter((r) => r === 'POST auth/approle/login').length, 2, 'logged in once more, then gave up');
    assert.ok(log.lines.some((l) => l.includes('"msg":"vault: permission denied; the policy does not allow this path"') && l.includes('secret/data/auth-platform/jwt/signing-keys/k1')));
  });

  it('is a permission error with a static token that Vault still knows', async () => {
    standin = await VaultStandin.start({ policies: POLICIES });
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { auth: { method: 'token', token: standin.createToken(['token-service']) } }),
      logger: capturedLogger().logger,
    });
    const error = await provider.read('edge/redis').catch((e: unknown) => e);
    assert.ok(error instanceof SecretsUnavailableError && error.cause instanceof VaultPermissionError, String(error));
    assert.match(error.message, /secret\/data\/auth-platform\/edge\/redis/);
  });
});
