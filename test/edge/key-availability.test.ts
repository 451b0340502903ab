import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeIssuer } from '../support/fake-issuer.js';
import { eventually, refusalCode, startEdgeWithIssuer, startTestEdge, verify, type EdgeWithIssuer, type TestEdge } from './edge-harness.js';

describe('token-service outage: cached keys keep serving, unknown keys wait for it', () => {
  let setup: EdgeWithIssuer;
  let issuer: FakeIssuer;
  let edge: TestEdge;

  before(async () => {
    setup = await startEdgeWithIssuer({
      env: { EDGE_BREAKER_FAILURES: '2', EDGE_BREAKER_RESET: '50ms', EDGE_TOKEN_SERVICE_TIMEOUT: '500ms' },
    });
    ({ issuer, edge } = setup);
  });
  after(() => setup.close());

  it('keeps admitting valid tokens from cached keys while token-service is stopped', async () => {
    await issuer.stop();
    const response = await verify(edge, await issuer.sign());
    assert.equal(response.status, 200);
  });

  it('answers 503 key_set_unavailable, not 401, for an unknown kid while token-service is stopped', async () => {
    const rotated = await issuer.addKey();
    for (let attempt = 0; attempt < 3; attempt++) {
      // Repeated misses: connection refused at first, then the open breaker fails them fast.
      const response = await verify(edge, await issuer.sign({}, { key: rotated }));
      assert.equal(response.status, 503);
      assert.equal(await refusalCode(response), 'key_set_unavailable');
      assert.ok(response.headers.get('retry-after'));
    }
  });

  it('reports the degraded key set on /readyz and the open breaker in /metrics', async () => {
    const ready = await (await fetch(`${edge.url}/readyz`)).json() as { status: string; dependencies: { jwks: { status: string } } };
    assert.equal(ready.dependencies.jwks.status, 'degraded');
    assert.equal(ready.status, 'degraded');
    const metrics = await (await fetch(`${edge.url}/metrics`)).text();
    assert.match(metrics, /edge_circuit_breaker_state\{[^}]*dependency="token-service"[^}]*\} 2/);
    assert.match(metrics, /edge_decisions_total\{[^}]*result="deny",reason="key_set_unavailable"[^}]*\} \d/);
  });

  it('resolves the new kid once token-service is back', async () => {
    const rotated = issuer.keys[issuer.keys.length - 1]!;
    await issuer.resume();
    const token = await issuer.sign({}, { key: rotated });
    // The breaker lets a trial call through after its reset interval; poll until it has.
    assert.ok(await eventually(async () => (await verify(edge, token)).status === 200, 5000));
    const ready = await (await fetch(`${edge.url}/readyz`)).json() as { status: string };
    assert.equal(ready.status, 'ready');
  });
});

describe('token-service unreachable at start', () => {
  it('starts without keys, is not ready, and refuses with 503 until the key set loads', async () => {
    const issuer = await FakeIssuer.start();
    await issuer.stop();
    const edge = await startTestEdge({ issuer, env: { EDGE_BREAKER_RESET: '20ms', EDGE_TOKEN_SERVICE_TIMEOUT: '500ms' } });
    try {
      assert.equal((await fetch(`${edge.url}/readyz`)).status, 503);
      const token = await issuer.sign();
      const refused = await verify(edge, token);
      assert.equal(refused.status, 503);
      assert.equal(await refusalCode(refused), 'key_set_unavailable');
      await issuer.resume();
      assert.ok(await eventually(async () => (await verify(edge, token)).status === 200, 5000));
    } finally {
      await edge.close();
      await issuer.close();
    }
  });
});
