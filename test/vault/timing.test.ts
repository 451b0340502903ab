import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, renewalDelay } from '../../src/secrets/vault/timing.js';

describe('Vault timing', () => {
  it('renews between 60% and 73% of a TTL, so replicas started together spread out', () => {
    assert.equal(renewalDelay(60_000, () => 0), 36_000);
    assert.equal(renewalDelay(60_000, () => 1), 43_800);
    assert.ok(Math.abs(renewalDelay(60_000, () => 0.5) - 40_000) < 1_000, 'about two thirds');
  });

  it('backs off exponentially from the minimum and never past the maximum, jitter included', () => {
    const middle = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 4, 10, 50].map((n) => backoffDelay(n, 250, 2_000, middle)), [250, 500, 1_000, 2_000, 2_000, 2_000, 2_000]);
    for (let attempt = 0; attempt < 40; attempt += 1) {
      assert.ok(backoffDelay(attempt, 250, 2_000, () => 1) <= 2_000);
      assert.ok(backoffDelay(attempt, 250, 2_000, () => 0) >= 200);
    }
  });
});
