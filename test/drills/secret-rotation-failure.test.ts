import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { basicAuth } from '../support/token-service.js';
import { eventually } from '../vault/support.js';
import { startLoad, type Load } from './support/load.js';
import { logMessage, shown, startPlatform, untilOutput, type Platform } from './support/platform.js';

/** Refresh chains run side by side, each rotating its own refresh token: a write transaction per request. */
const CHAINS = 3;

/** The lease token-service holds, as `authctl leases list` prints it. */
function tokenServiceLease(stdout: string): string {
  const match = /^token-service\s+(database\/creds\/token-service\/\S+)/m.exec(stdout);
  assert.ok(match, `no token-service lease in\n${stdout}`);
  return match[1]!;
}

/**
 * Drill: docs/runbook.md "Secret Rotation Failure" against token-service and the edge as separate
 * processes on the Vault stand-in: find the lease, look it up, renew it, then revoke it while
 * token requests that need the database run, and see none of them fail.
 */
describe('drill: secret rotation failure', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({ mesh: 'none', gracePeriod: '5m' });
  });
  after(async () => {
    await platform?.close();
  });

  const tokenRequest = (params: Record<string, string>) =>
    platform.fetch(`${platform.issuer}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(platform.demoClient) },
      body: new URLSearchParams(params).toString(),
    });

  /** A refresh token for the demo client from the internal issue API (loopback, admin token: MESH=none). */
  async function refreshToken(): Promise<string> {
    const adminToken = readFileSync(join(platform.env.AUTH_DATA_DIR!, 'admin-token'), 'utf8').trim();
    const response = await platform.fetch(`${platform.internalUrl}/internal/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'drill-user', client_id: platform.demoClient.client_id }),
    });
    const body = await response.text();
    assert.equal(response.status, 200, body);
    return (JSON.parse(body) as { refresh_token: string }).refresh_token;
  }

  /** One client rotating its refresh token, then asking for a client_credentials token, again and again. */
  async function refreshChain(): Promise<Load> {
    let current = await refreshToken();
    return startLoad(async () => {
      const refreshed = await tokenRequest({ grant_type: 'refresh_token', refresh_token: current });
      const body = await refreshed.text();
      if (refreshed.status !== 200) return `refresh_token: ${refreshed.status} ${body}`;
      current = (JSON.parse(body) as { refresh_token: string }).refresh_token;
      const issued = await tokenRequest({ grant_type: 'client_credentials' });
      const issuedBody = await issued.text();
      return issued.status === 200 ? undefined : `client_credentials: ${issued.status} ${issuedBody}`;
    });
  }

  it('lists, looks up and renews the lease; revoking it under load fails no token request, and a new lease takes over', async () => {
    const { tokenService, standin } = platform;

    // 1. Find the lease: each service says which it holds.
    const listed = await platform.authctl(['leases', 'list']);
    assert.equal(listed.code, 0, shown(listed));
    const lease = tokenServiceLease(listed.stdout);
    assert.match(listed.stdout, /^auth-edge-service\s+holds no lease/m, shown(listed));
    assert.deepEqual(standin.leaseIds(), [lease], 'the lease authctl shows is the one Vault holds');
    const lookup = await platform.authctl(['leases', 'lookup', lease]);
    assert.equal(lookup.code, 0, shown(lookup));
    assert.match(lookup.stdout, new RegExp(`^id\\s+${lease}$`, 'm'), shown(lookup));

    // 2. Force a renewal.
    const renewed = await platform.authctl(['leases', 'renew', '--increment', '1h', lease]);
    assert.equal(renewed.code, 0, shown(renewed));
    assert.match(renewed.stdout, /^lease_duration\s+3600s$/m, shown(renewed));

    // 3. Revoke it while token requests that need the database run.
    const chains = await Promise.all(Array.from({ length: CHAINS }, () => refreshChain()));
    const sent = () => chains.reduce((sum, chain) => sum + chain.requests, 0);
    await eventually('load running', () => sent() >= 10, 30_000);
    const revoked = await platform.authctl(['leases', 'revoke', lease]);
    assert.equal(revoked.code, 0, shown(revoked));
    assert.match(revoked.stdout, new RegExp(`Revoked lease: ${lease}`), shown(revoked));

    // 4. The service requests new credentials at once, and requests go on on the new user.
    await eventually('a new lease', () => standin.leaseIds().length === 1 && standin.leaseIds()[0] !== lease, 30_000);
    const atSwap = sent();
    await eventually('load on the new credentials', () => sent() >= atSwap + 30, 60_000);
    const results = await Promise.all(chains.map((chain) => chain.stop()));
    for (const result of results) {
      assert.equal(result.stoppedBy, 'caller', 'the load ran through the revocation');
      assert.deepEqual(result.failures, [], `${result.failures.length} of ${result.requests} token requests failed`);
    }
    await untilOutput(tokenService, 'token-service', /"msg":"vault: (the database refused the credentials|lease no longer valid); requesting new credentials"/, 10_000);
    await untilOutput(tokenService, 'token-service', logMessage('vault: database credentials issued'), 10_000, 2);
    const relisted = await platform.authctl(['leases', 'list']);
    assert.equal(relisted.code, 0, shown(relisted));
    const replacement = tokenServiceLease(relisted.stdout);
    assert.notEqual(replacement, lease);
    assert.deepEqual(standin.leaseIds(), [replacement]);
  });
});
