import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually } from '../vault/support.js';
import { shown, startPlatform, type Platform } from './support/platform.js';

const DAY_MS = 86_400_000;

interface Readiness {
  status: string;
  dependencies: Record<string, { status: string }>;
}

/**
 * Drill: docs/runbook.md "Full platform outage", step 1, against the platform on one machine with
 * real parts (`MESH=native`, Vault, PostgreSQL and Redis): everything fails at once, and the
 * first command names each part that is down and exits non-zero.
 */
describe('drill: full platform outage', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({ mesh: 'native', gracePeriod: '3s', cuttableDataStores: true });
  });
  after(async () => {
    await platform?.close();
  });

  it('authctl status names Vault, the database, Redis, the edge and the expired certificate, and exits non-zero', async () => {
    const { tokenService, edge, standin, database, redis, pki } = platform;
    const healthy = await platform.authctl(['status']);
    assert.equal(healthy.code, 0, `every part is up before the outage\n${shown(healthy)}`);

    // Everything at once: the edge's certificate lapses unrenewed and the edge is gone, Vault
    // stops answering, PostgreSQL and Redis are cut off.
    await pki!.issue('auth-edge-service', { validity: { notBefore: new Date(Date.now() - 2 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) } });
    edge.child.kill('SIGKILL');
    await edge.closed;
    await standin.refuseConnections();
    await database!.refuse();
    await redis!.refuse();
    await eventually('token-service sees Vault past its grace and the database gone', async () => {
      const ready = (await (await platform.fetch(`${platform.issuer}/readyz`)).json()) as Readiness;
      return ready.dependencies.secrets?.status === 'down' && ready.dependencies.database?.status !== 'up';
    }, 30_000);

    // 1. authctl status: readiness of each service, per dependency, and the parts it checks itself.
    const status = await platform.authctl(['status']);
    assert.equal(status.code, 1, shown(status));
    const out = status.stdout;
    assert.match(out, /^token-service: not_ready\b/m, `token-service\n${shown(status)}`);
    assert.match(out, /^\s+secrets\s+down\s+\(Vault is unreachable/m, `Vault\n${shown(status)}`);
    assert.match(out, /^\s+database\s+(degraded|down)\s+\(.*unreachable/m, `the database\n${shown(status)}`);
    assert.match(out, /^auth-edge-service: unreachable\b.*\n.*ECONNREFUSED/m, `the edge\n${shown(status)}`);
    assert.match(out, /^redis: down  \(127\.0\.0\.1:\d+: unreachable \(ECONNREFUSED\)\)/m, `Redis\n${shown(status)}`);
    assert.match(out, /auth-edge-service\.crt\s.*expired/, `the expired certificate\n${shown(status)}`);
    assert.equal(tokenService.child.exitCode, null, 'token-service rides the outage out rather than crashing');
  });
});
