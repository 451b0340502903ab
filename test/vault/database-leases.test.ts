import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { VaultProvider, type DbCredentials } from '../../src/secrets/index.js';
import { PostgresDb } from '../../src/store/index.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { expectRevokedLeaseReplaced } from './scenarios.js';
import { capturedLogger, databaseFixture, eventually, postgresDbHonoursCredentials, sleep, testVaultConfig } from './support.js';


/**
 * Dynamic PostgreSQL credentials kept by the lease manager, against real roles: the stand-in
 * creates `v-…` roles and drops them (ending their sessions) on revocation or expiry, so a pool
 * that did not really move to the new user would fail its queries.
 */
it('the PostgreSQL pool connects as the dynamic credentials it is given, not the URL user', async () => {
  assert.equal(await postgresDbHonoursCredentials(), true);
});

describe('Vault provider: database credentials', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;
  let provider: VaultProvider;
  let db: PostgresDb;
  let log: ReturnType<typeof capturedLogger>;
  const loops: Array<{ stop(): Promise<unknown> }> = [];

  async function open(ttl: { defaultTtlS: number; maxTtlS: number }, drainMs = 300): Promise<void> {
    fixture = await databaseFixture(ttl);
    standin = await VaultStandin.start({ databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role } });
    log = capturedLogger();
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { databaseRole: 'token-service' }), logger: log.logger, leaseDrainMs: drainMs,
    });
    const database = provider.database!;
    // The wiring the services do: credentials PostgreSQL refuses are replaced; new credentials move the pool.
    db = new PostgresDb({
      connectionString: fixture.url, poolSize: 4, schema: fixture.schema, credentials: database.current(),
      onCredentialsRejected: (user) => database.replaceRejected(user),
    });
    database.onCredentials((credentials: DbCredentials) => db.swapCredentials(credentials));
  }

  afterEach(async () => {
    await Promise.all(loops.splice(0).map((l) => l.stop()));
    await db.close().catch(() => undefined);
    await provider.close();
    await standin.close();
    await fixture.drop();
  });

  /** A steady stream of queries; each is retried a few times (an in-flight call cut by a revocation), then counted failed. */
  function queryLoop(): { stop(): Promise<{ ok: number; failed: number; retried: number }> } {
    let running = true;
    const counts = { ok: 0, failed: 0, retried: 0 };
    const loop = (async () => {
      while (running) {
        let done = false;
        for (let attempt = 0; attempt < 40 && !done; attempt += 1) {
          try {
            await db.query(`INSERT INTO hits DEFAULT VALUES RETURNING id`);
            done = true;
          } catch {
            counts.retried += 1;
            await sleep(50);
          }
        }
        if (done) counts.ok += 1;
        else counts.failed += 1;
        await sleep(5);
      }
    })();
    const handle = { stop: async () => { running = false; await loop; return counts; } };
    loops.push(handle);
    return handle;
  }

  async function sessionUsers(): Promise<string[]> {
    const rows = await fixture.admin(`SELECT DISTINCT usename FROM pg_stat_activity WHERE usename LIKE 'v-%' AND query LIKE '%hits%'`);
    return rows.map((r) => String(r.usename));
  }

  /** The user the pool connects as now; '' while a query fails (a revoked role, mid-swap). */
  async function poolUser(): Promise<string> {
    return db.query<{ u: string }>('SELECT current_user AS u').then((rows) => rows[0]?.u ?? '', () => '');
  }

  async function roleExists(user: string): Promise<boolean> {
    return (await fixture.admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [user])).length === 1;
  }

  it('renews the lease at about two thirds of its TTL and keeps the same user', async () => {
    await open({ defaultTtlS: 2, maxTtlS: 60 });
    const first = provider.database!.current().user;
    await eventually('a renewal', () => standin.requests.includes('PUT sys/leases/renew'), 5_000);
    await sleep(1_500); // past the original TTL: only a renewal keeps the role alive
    assert.equal(provider.database!.current().user, first);
    assert.equal(await roleExists(first), true);
    assert.equal((await db.query<{ n: number }>('SELECT 1 AS n'))[0]?.n, 1);
  });

  it('when renewals fail, requests new credentials before expiry and swaps the pool with no failed query', async () => {
    await open({ defaultTtlS: 3, maxTtlS: 60 });
    const first = provider.database!.current().user;
    const load = queryLoop();
    standin.failRenewals();
    await eventually('new credentials', () => provider.database!.current().user !== first, 6_000);
    const second = provider.database!.current().user;
    await eventually('queries run as the new user', async () => (await sessionUsers()).includes(second), 5_000);
    await eventually('old lease revoked after the drain', async () => !(await roleExists(first)), 5_000);
    await sleep(200);
    const counts = await load.stop();
    assert.equal(counts.failed, 0);
    assert.equal(counts.retried, 0, 'not even a retry: the old pool drained before its role went away');
    assert.ok(counts.ok > 0);
    assert.ok(log.lines.some((l) => l.includes('vault: lease renewals keep failing; requesting new credentials before expiry')));
  });

  it('replaces a lease that reached its max TTL before it expires', async () => {
    await open({ defaultTtlS: 2, maxTtlS: 3 });
    const first = provider.database!.current().user;
    const load = queryLoop();
    await eventually('new credentials', () => provider.database!.current().user !== first, 6_000);
    await sleep(1_200);
    const counts = await load.stop();
    assert.equal(counts.failed, 0);
    assert.equal(counts.retried, 0);
  });

  it('a lease revoked from outside is replaced within seconds; only in-flight calls are retried', async () => {
    await open({ defaultTtlS: 30, maxTtlS: 60 });
    const first = provider.database!.current().user;
    const leaseId = standin.leaseIds()[0]!;
    const load = queryLoop();
    await sleep(100);
    await standin.revokeLease(leaseId);
    assert.equal(await roleExists(first), false);
    const since = Date.now();
    await eventually('new credentials', () => provider.database!.current().user !== first, 5_000);
    assert.ok(Date.now() - since < 5_000);
    await sleep(300);
    const counts = await load.stop();
    assert.equal(counts.failed, 0, 'every call succeeded, some after a retry');
    await eventually('the pool connects as the new user', async () => (await poolUser()) === provider.database!.current().user, 5_000);
  });

  it("the live suite's scenario: a lease revoked from outside under a query loop fails no query", async () => {
    await open({ defaultTtlS: 30, maxTtlS: 60 });
    await expectRevokedLeaseReplaced(provider, fixture.url, (leaseId) => standin.revokeLease(leaseId));
  });

  it('a database that refuses fresh credentials as well costs one new lease, not one per query', async () => {
    await open({ defaultTtlS: 30, maxTtlS: 60 });
    // From now on every new role is created unable to log in (a broken creation statement).
    fixture.role.creationStatements.push('ALTER ROLE "{{name}}" NOLOGIN');
    await standin.revokeLease(standin.leaseIds()[0]!);
    for (let i = 0; i < 10; i += 1) await db.query('SELECT 1').catch(() => undefined);
    assert.equal(standin.requests.filter((r) => r === 'GET database/creds/token-service').length, 2, 'the first lease and one replacement');
  });

  it('an expired lease is replaced the same way', async () => {
    await open({ defaultTtlS: 30, maxTtlS: 60 });
    const first = provider.database!.current().user;
    await standin.expireLease(standin.leaseIds()[0]!);
    await eventually('new credentials', () => provider.database!.current().user !== first, 5_000);
    await eventually('the pool connects as the new user', async () => (await poolUser()) === provider.database!.current().user, 5_000);
  });

  it('keeps the credentials through a Vault outage while their lease is valid, and renews once Vault is back', async () => {
    await open({ defaultTtlS: 4, maxTtlS: 60 });
    const first = provider.database!.current().user;
    await standin.refuseConnections();
    await sleep(1_000);
    assert.equal(await poolUser(), first);
    await standin.heal();
    await eventually('renewed after the outage', () => standin.requests.includes('PUT sys/leases/renew'), 6_000);
    assert.equal(provider.database!.current().user, first);
  });
});
