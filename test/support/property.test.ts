import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { assertProperty, chooseSeed, PROPERTY_SEED } from './property.js';

describe('the property-test seed policy', () => {
  test('CI runs one fixed seed; FUZZ_SEED overrides it; a local run draws its own', () => {
    assert.equal(chooseSeed({ CI: 'true' }), chooseSeed({ CI: '1' }));
    assert.equal(chooseSeed({ CI: 'true', FUZZ_SEED: '-42' }), -42);
    assert.equal(chooseSeed({ FUZZ_SEED: '7' }), 7);
    const local = new Set(Array.from({ length: 5 }, () => chooseSeed({ CI: 'false' })));
    assert.ok(local.size > 1, 'local runs draw a new seed');
    assert.throws(() => chooseSeed({ FUZZ_SEED: 'abc' }), /FUZZ_SEED must be a 32-bit integer/);
  });

  test('a failing property names its seed and how to replay it', async () => {
    await assert.rejects(
      assertProperty(fc.asyncProperty(fc.nat(), async (n) => assert.ok(n < 0))),
      (error: Error) => error.message.includes(`seed ${PROPERTY_SEED}`) && error.message.includes(`FUZZ_SEED=${PROPERTY_SEED}`),
    );
  });
});
