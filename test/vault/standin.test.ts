import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VaultClient, VaultHttp, VaultOutageError, VaultRequestError } from '../../src/secrets/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { databaseFixture } from './support.js';

/** The stand-in must answer as Vault documents, or the provider tests prove nothing. */
describe('Vault stand-in', () => {
  let standin: VaultStandin;
  let client: VaultClient;
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 60, maxTtlS: 90 });
    standin = await VaultStandin.start({ databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role } });
    client = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 1000 }), {
      token: () => standin.rootToken, reauthenticate: async () => false,
    });
  });
  after(async () => {
    await client.close();
    await standin.close();
    await fixture.drop();
  });

  it('answers sys/health with the documented status codes', async () => {
    assert.equal((await client.health()).status, 200);
    standin.setHealthMode('standby');
    assert.equal((await client.health()).status, 429);
    standin.setHealthMode('drsecondary');
    assert.equal((await client.health()).status, 472);
    standin.setHealthMode('perfstandby');
    assert.equal((await client.health()).status, 473);
    standin.setHealthMode('uninitialized');
    assert.equal((await client.health()).status, 501);
    standin.setHealthMode('active');
    standin.seal();
    const sealed = await client.health();
    assert.equal(sealed.status, 503);
    assert.equal(sealed.sealed, true);
    for (const key of standin.unsealKeys.slice(0, 3)) await client.unseal(key);
    assert.equal((await client.health()).status, 200);
  });

  it('unseals with any 3 of the 5 key shares, reporting progress, and refuses a wrong share at the threshold', async () => {
    await client.seal();
    assert.deepEqual(await client.sealStatus().then((s) => [s.sealed, s.threshold, s.shares, s.progress]), [true, 3, 5, 0]);
    const [k1, , k3, , k5] = standin.unsealKeys;
    assert.equal((await client.unseal(k5!)).progress, 1);
    assert.equal((await client.unseal(k1!)).progress, 2);
    await assert.rejects(client.unseal('not-a-share'), (e: unknown) => e instanceof VaultRequestError && e.status === 400);
    assert.equal((await client.sealStatus()).sealed, true);
    await client.unseal(k5!);
    await client.unseal(k1!);
    const done = await client.unseal(k3!);
    assert.equal(done.sealed, false);
  });

  it('answers 503 "Vault is sealed" to everything but health, seal-status and unseal while sealed', async () => {
    standin.seal();
    await assert.rejects(client.kvRead('secret', 'x'), (e: unknown) => e instanceof VaultOutageError && e.reason === 'sealed');
    assert.equal((await client.sealStatus()).sealed, true);
    for (const key of standin.unsealKeys.slice(2)) await client.unseal(key);
  });

  it('keeps KV v2 versions and reads any of them back', async () => {
    assert.equal(await client.kvRead('secret', 'auth-platform/jwt/signing-keys/k1'), undefined);
    assert.equal((await client.kvWrite('secret', 'auth-platform/jwt/signing-keys/k1', { a: '1' })).version, 1);
    assert.equal((await client.kvWrite('secret', 'auth-platform/jwt/signing-keys/k1', { a: '2' })).version, 2);
    assert.deepEqual(await client.kvRead('secret', 'auth-platform/jwt/signing-keys/k1'), { data: { a: '2' }, version: 2 });
    assert.deepEqual(await client.kvRead('secret', 'auth-platform/jwt/signing-keys/k1', 1), { data: { a: '1' }, version: 1 });
  });

  it('issues database credentials as a real PostgreSQL role, renews up to the max TTL, and drops the role on revoke', async () => {
    const creds = await client.databaseCredentials('database', 'token-service');
    assert.match(creds.leaseId, /^database\/creds\/token-service\//);
    assert.equal(creds.leaseDurationS, 60);
    const [role] = await fixture.admin('SELECT rolcanlogin, rolvaliduntil FROM pg_roles WHERE rolname = $1', [creds.username]);
    assert.equal(role?.rolcanlogin, true);
    const renewed = await client.leaseRenew(creds.leaseId, 120);
    assert.ok(renewed.leaseDurationS <= 90, 'capped by max TTL');
    assert.equal(renewed.warnings.length, 1);
    const info = await client.leaseLookup(creds.leaseId);
    assert.equal(info.id, creds.leaseId);
    await client.leaseRevoke(creds.leaseId);
    assert.equal((await fixture.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [creds.username])).length, 0);
    await assert.rejects(client.leaseLookup(creds.leaseId), (e: unknown) => e instanceof VaultRequestError && e.status === 400);
    await assert.rejects(client.leaseRenew(creds.leaseId), (e: unknown) => e instanceof VaultRequestError && e.status === 400);
  });

  it('revokes every lease under a prefix', async () => {
    await client.databaseCredentials('database', 'token-service');
    await client.databaseCredentials('database', 'token-service');
    await client.leaseRevokePrefix('database/creds/token-service');
    assert.deepEqual(standin.leaseIds(), []);
  });

  it('refuses renewals on demand, then recovers', async () => {
    const creds = await client.databaseCredentials('database', 'token-service');
    standin.failRenewals({ count: 1 });
    await assert.rejects(client.leaseRenew(creds.leaseId), (e: unknown) => e instanceof VaultOutageError && e.reason === 'http_5xx');
    assert.equal((await client.leaseRenew(creds.leaseId, 30)).leaseDurationS, 30);
    await client.leaseRevoke(creds.leaseId);
  });

  it('refuses connections, hangs, and comes back on the same address', async () => {
    await standin.refuseConnections();
    await assert.rejects(client.health(), (e: unknown) => e instanceof VaultOutageError && e.reason === 'refused');
    await standin.heal();
    assert.equal((await client.health()).status, 200);
    standin.hang();
    await assert.rejects(client.health(), (e: unknown) => e instanceof VaultOutageError && e.reason === 'timeout');
    await standin.heal();
    assert.equal((await client.health()).status, 200);
  });

  it('answers 403 permission denied to a missing or unknown token', async () => {
    const anonymous = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 1000 }), { token: () => 'hvs.nope', reauthenticate: async () => false });
    await assert.rejects(anonymous.kvRead('secret', 'x'), (e: unknown) => e instanceof VaultRequestError && e.status === 403 && e.errors[0] === 'permission denied');
    await anonymous.close();
  });
});
