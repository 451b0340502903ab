import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { count, logMessage, STARTED, shown, startPlatform, untilOutput, type Platform } from './support/platform.js';

/** The runbook's promise: services reconnect within 5 s of the unseal (docs/runbook.md, "Vault Sealed", step 4). */
const RECONNECT_PROMISE_MS = 5_000;

/**
 * Drill: docs/runbook.md "Vault Sealed", step by step, against token-service and the edge as
 * separate processes on the Vault stand-in, with the runbook's own commands.
 */
describe('drill: Vault sealed', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({ mesh: 'none', gracePeriod: '5m' });
  });
  after(async () => {
    await platform?.close();
  });

  it('status shows the seal, 3 of 5 key shares unseal it, both services log "vault: connection restored" within 5 s, no restart', async () => {
    const { tokenService, edge, standin } = platform;
    const pids = [tokenService.child.pid, edge.child.pid];
    standin.seal();
    await Promise.all([
      untilOutput(tokenService, 'token-service', logMessage('vault: sealed'), 30_000),
      untilOutput(edge, 'edge', logMessage('vault: sealed'), 30_000),
    ]);

    // 1. Check the seal status, and how our services see it.
    const sealed = await platform.authctl(['vault', 'status']);
    assert.equal(sealed.code, 2, `exit code 2 while sealed\n${shown(sealed)}`);
    assert.match(sealed.stdout, /Sealed\s+true/, shown(sealed));
    assert.match(sealed.stdout, /Unseal Progress 0\/3/, shown(sealed));
    assert.match(sealed.stdout, /token-service\s+degraded\s+grace left \d/, shown(sealed));
    assert.match(sealed.stdout, /auth-edge-service\s+degraded\s+grace left \d/, shown(sealed));

    // 2.–3. Three of the five key shares, one per call, typed at the prompt.
    const [first, second, third] = standin.unsealKeys;
    const one = await platform.authctl(['vault', 'unseal'], `${first}\n`);
    assert.equal(one.code, 0, shown(one));
    assert.match(one.stdout, /submit 2 more key share/, shown(one));
    const two = await platform.authctl(['vault', 'unseal'], `${second}\n`);
    assert.match(two.stdout, /submit 1 more key share/, shown(two));
    const three = await platform.authctl(['vault', 'unseal'], `${third}\n`);
    assert.equal(three.code, 0, shown(three));
    assert.match(three.stdout, /Vault is unsealed/, shown(three));
    for (const run of [one, two, three]) assert.ok(!run.stdout.includes(first!) && !run.stdout.includes(second!) && !run.stdout.includes(third!), 'no key share is echoed');

    // 4. Both services reconnect by themselves, within 5 s of the unseal (counted from the
    //    moment the unseal command had already returned).
    await Promise.all([
      untilOutput(tokenService, 'token-service', logMessage('vault: connection restored'), RECONNECT_PROMISE_MS),
      untilOutput(edge, 'edge', logMessage('vault: connection restored'), RECONNECT_PROMISE_MS),
    ]);
    const restored = await platform.authctl(['vault', 'status']);
    assert.equal(restored.code, 0, shown(restored));
    assert.match(restored.stdout, /Sealed\s+false/, shown(restored));
    assert.match(restored.stdout, /token-service\s+up\b/, shown(restored));
    assert.match(restored.stdout, /auth-edge-service\s+up\b/, shown(restored));

    // No restart: the same processes, each started once, and they serve.
    assert.deepEqual([tokenService.child.pid, edge.child.pid], pids);
    for (const service of [tokenService, edge]) {
      assert.equal(service.child.exitCode, null);
      assert.equal(count(service.stdout(), STARTED), 1);
    }
    const token = await platform.accessToken();
    const verified = await platform.fetch(`${platform.edgeUrl}/demo/hello`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(verified.status, 200, await verified.text());
  });
});
