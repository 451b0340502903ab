import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runAuthctl } from '../support/authctl.js';
import { startLoad } from './support/load.js';
import { logMessage, shown, startPlatform, untilOutput, type Platform } from './support/platform.js';
import { eventually } from '../vault/support.js';

/**
 * The grace: long enough for the runbook's first step to run twice inside it on this machine as it
 * is now (tsx or the build, idle or loaded), short enough to wait out. Sized from one authctl run;
 * a size, not an assertion.
 */
async function gracePeriodS(): Promise<number> {
  const started = Date.now();
  await runAuthctl({}, '--help');
  return Math.ceil(Math.min(60_000, Math.max(35_000, 4 * (Date.now() - started) + 15_000)) / 1000);
}

/** `grace left 1m5s` → seconds, from `authctl vault status` for one service. */
function graceLeftS(stdout: string, service: string): number {
  const match = new RegExp(`^${service}\\s+degraded\\s+grace left (?:(\\d+)h)?(?:(\\d+)m)?(?:(\\d+)s)?`, 'm').exec(stdout);
  assert.ok(match, `${service}: no "grace left" in\n${stdout}`);
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/**
 * Drill: docs/runbook.md "Vault Unavailable" against token-service and the edge as separate
 * processes on the Vault stand-in: Vault stops answering under load; the runbook's first step
 * shows the grace running down; no request fails inside the grace; after it token requests get
 * 503 `secrets_unavailable` (the edges keep verifying); when Vault is back everything recovers.
 */
describe('drill: Vault unavailable', () => {
  let platform: Platform;
  let graceMs: number;

  before(async () => {
    graceMs = (await gracePeriodS()) * 1000;
    platform = await startPlatform({ mesh: 'none', gracePeriod: `${graceMs / 1000}s` });
  });
  after(async () => {
    await platform?.close();
  });

  /** token-service's own account of the grace left, from its /readyz. */
  async function graceRemainingMs(): Promise<number> {
    const body = (await (await platform.fetch(`${platform.issuer}/readyz`)).json()) as { dependencies: { secrets: { graceRemainingMs: number } } };
    return body.dependencies.secrets.graceRemainingMs;
  }

  it('shows the grace running down in authctl vault status, fails no request within it, and answers 503 secrets_unavailable after it', async (t) => {
    const { tokenService, edge, standin } = platform;
    const edgeToken = await platform.accessToken();
    const tokens = startLoad(async () => {
      const response = await platform.requestToken();
      const body = await response.text();
      return response.status === 200 ? undefined : `token: ${response.status} ${body}`;
    });
    const verifications = startLoad(async () => {
      const response = await platform.fetch(`${platform.edgeUrl}/demo/hello`, { headers: { authorization: `Bearer ${edgeToken}` } });
      const body = await response.text();
      return response.status === 200 ? undefined : `edge: ${response.status} ${body}`;
    });
    await eventually('load running', () => tokens.requests > 20 && verifications.requests > 20, 30_000);

    await standin.refuseConnections();
    await Promise.all([
      untilOutput(tokenService, 'token-service', logMessage('vault: unreachable'), 30_000),
      untilOutput(edge, 'edge', logMessage('vault: unreachable'), 30_000),
    ]);

    // 1. Our view first: which services see Vault down, and how much grace is left; twice, a little apart.
    const first = await platform.authctl(['vault', 'status']);
    assert.equal(first.code, 1, `exit 1 while Vault does not answer\n${shown(first)}`);
    assert.match(first.stdout, /Vault at http:\/\/127\.0\.0\.1:\d+: unreachable/, shown(first));
    const firstLeft = graceLeftS(first.stdout, 'token-service');
    assert.ok(firstLeft > 0, shown(first));
    graceLeftS(first.stdout, 'auth-edge-service');
    await eventually('two seconds of grace used since', async () => (await graceRemainingMs()) < (firstLeft - 2) * 1000, 10_000);
    const second = await platform.authctl(['vault', 'status']);
    assert.equal(second.code, 1, shown(second));
    const secondLeft = graceLeftS(second.stdout, 'token-service');
    assert.ok(secondLeft < firstLeft && secondLeft > 0, `the grace runs down: ${firstLeft}s, then ${secondLeft}s\n${shown(second)}`);
    assert.ok(graceLeftS(second.stdout, 'auth-edge-service') > 0, shown(second));

    // Within the grace: not one failed request, tokens or verification.
    // The load stops a quarter of the grace before its end, as token-service counts it: on a loaded
    // machine a request can take seconds to be served, and must still be served inside the grace.
    await eventually('most of the grace used', async () => (await graceRemainingMs()) <= graceMs / 4, graceMs);
    const during = await tokens.stop();
    assert.equal(during.stoppedBy, 'caller', 'the load ran through the grace');
    assert.deepEqual(during.failures, [], `${during.failures.length} of ${during.requests} token requests failed within the grace`);

    // After it: token requests get 503 secrets_unavailable; the edge goes on verifying.
    await untilOutput(tokenService, 'token-service', logMessage('vault: grace period over'), graceMs);
    const refused = await platform.requestToken();
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: string }).error, 'secrets_unavailable');
    const tokenServiceReady = await platform.fetch(`${platform.issuer}/readyz`);
    assert.equal(tokenServiceReady.status, 503, `token-service goes out of rotation: ${await tokenServiceReady.text()}`);
    const edgeReady = await platform.fetch(`${platform.edgeUrl}/readyz`);
    assert.equal(edgeReady.status, 200, `the edge stays in rotation: ${await edgeReady.text()}`);
    const verified = await verifications.stop();
    assert.equal(verified.stoppedBy, 'caller');
    assert.deepEqual(verified.failures, [], `${verified.failures.length} of ${verified.requests} verifications at the edge failed`);

    // Vault back: both reconnect by themselves and tokens are issued again ("within seconds").
    await standin.heal();
    await Promise.all([
      untilOutput(tokenService, 'token-service', logMessage('vault: connection restored'), 10_000),
      untilOutput(edge, 'edge', logMessage('vault: connection restored'), 10_000),
    ]);
    const refusedAfterRestore: string[] = [];
    await eventually('a token issued again', async () => {
      const response = await platform.requestToken();
      if (response.status !== 200) refusedAfterRestore.push(`${response.status} ${await response.text()}`);
      return response.status === 200;
    }, 10_000);
    // Seen once in a dozen runs under load: a 503 right after "connection restored". Say so.
    if (refusedAfterRestore.length > 0) t.diagnostic(`refused after "vault: connection restored": ${refusedAfterRestore.join('; ')}`);
  });
});
