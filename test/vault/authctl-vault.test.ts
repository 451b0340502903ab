import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { VaultClient, VaultHttp } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { databaseFixture } from './support.js';
import { entrypoint } from '../support/entrypoints.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The runbook's `vault status`, `vault operator unseal` and `vault lease …` steps, as authctl commands. */
describe('authctl vault and leases', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;
  let client: VaultClient;

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 600, maxTtlS: 7200 });
    standin = await VaultStandin.start({ databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role } });
    client = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 2_000 }), { token: () => standin.rootToken, reauthenticate: async () => false });
  });
  after(async () => {
    await client.close();
    await standin.close();
    await fixture.drop();
  });

  function authctl(args: string[], stdin?: string): Promise<Run> {
    return new Promise((resolve) => {
      const child = execFile(
        process.execPath,
        [...entrypoint('ctl/main'), ...args],
        {
          env: {
            ...process.env, VAULT_ADDR: standin.addr, VAULT_TOKEN: standin.rootToken,
            // Nothing listens there: the services' view reads "unreachable".
            AUTHCTL_URL: 'http://127.0.0.1:9', AUTHCTL_EDGE_URL: 'http://127.0.0.1:9',
          },
        },
        (error, stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      child.stdin?.end(stdin ?? '');
    });
  }

  it('shows the seal status and exits 2 while sealed; unseals with 3 of 5 key shares, one per call, read from stdin', async () => {
    standin.seal();
    const sealed = await authctl(['vault', 'status']);
    assert.equal(sealed.code, 2);
    assert.match(sealed.stdout, /Sealed\s+true/);
    assert.match(sealed.stdout, /Unseal Progress 0\/3/);
    assert.match(sealed.stdout, /token-service\s+unreachable/);

    const [k1, k2, k3] = standin.unsealKeys;
    assert.match((await authctl(['vault', 'unseal'], `${k1}\n`)).stdout, /submit 2 more key share/);
    assert.match((await authctl(['vault', 'unseal', '--key', k2!])).stdout, /submit 1 more key share/);
    const done = await authctl(['vault', 'unseal'], `${k3}\n`);
    assert.equal(done.code, 0);
    assert.match(done.stdout, /Vault is unsealed/);
    assert.ok(!done.stdout.includes(k3!), 'the key share is not echoed');

    const status = await authctl(['vault', 'status', '--json']);
    assert.equal(status.code, 0);
    assert.equal(JSON.parse(status.stdout).vault.sealed, false);
  });

  it('looks up, renews with an increment, and revokes a lease', async () => {
    const creds = await client.databaseCredentials('database', 'token-service');
    const lookup = await authctl(['leases', 'lookup', creds.leaseId]);
    assert.equal(lookup.code, 0, lookup.stderr);
    assert.match(lookup.stdout, new RegExp(`id\\s+${creds.leaseId}`));

    const renewed = await authctl(['leases', 'renew', '--increment', '1h', creds.leaseId]);
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.match(renewed.stdout, /lease_duration\s+3600s/);

    const revoked = await authctl(['leases', 'revoke', creds.leaseId]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.deepEqual(standin.leaseIds(), []);
    assert.equal((await fixture.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [creds.username])).length, 0);
  });

  it('says what is wrong with a bad increment or an unknown lease, without a stack trace', async () => {
    const bad = await authctl(['leases', 'renew', '--increment', 'soon', 'database/creds/token-service/x']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--increment must be a duration/);
    const unknown = await authctl(['leases', 'lookup', 'database/creds/token-service/nope']);
    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /HTTP 400: invalid lease/);
    assert.ok(!unknown.stderr.includes('    at '));
  });
});
