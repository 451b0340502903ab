import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker, CircuitOpenError, type BreakerState } from '../../src/edge/circuit-breaker.js';

describe('circuit breaker', () => {
  function breaker() {
    let now = 0;
    const states: BreakerState[] = [];
    const instance = new CircuitBreaker('dep', {
      failureThreshold: 2,
      resetMs: 1000,
      now: () => now,
      isFailure: (error) => !(error instanceof RangeError),
      onStateChange: (state) => states.push(state),
    });
    return { instance, states, advance: (ms: number) => (now += ms) };
  }
  const fail = () => Promise.reject(new Error('down'));
  const succeed = () => Promise.resolve('ok');

  it('opens after consecutive failures and then fails fast without calling', async () => {
    const { instance, states } = breaker();
    await assert.rejects(instance.execute(fail));
    await assert.rejects(instance.execute(fail));
    let called = false;
    await assert.rejects(instance.execute(async () => (called = true)), CircuitOpenError);
    assert.equal(called, false);
    assert.deepEqual(states, ['open']);
  });

  it('lets one trial through after the reset interval; success closes it', async () => {
    const { instance, states, advance } = breaker();
    await assert.rejects(instance.execute(fail));
    await assert.rejects(instance.execute(fail));
    advance(1000);
    assert.equal(await instance.execute(succeed), 'ok');
    assert.deepEqual(states, ['open', 'half_open', 'closed']);
  });

  it('reopens when the trial fails, and refuses concurrent calls during the trial', async () => {
    const { instance, advance } = breaker();
    await assert.rejects(instance.execute(fail));
    await assert.rejects(instance.execute(fail));
    advance(1000);
    let release: () => void = () => undefined;
    const trial = instance.execute(() => new Promise<never>((_resolve, reject) => (release = () => reject(new Error('still down')))));
    await assert.rejects(instance.execute(succeed), CircuitOpenError);
    release();
    await assert.rejects(trial);
    assert.equal(instance.state, 'open');
  });

  it('does not count errors the predicate says are not outages', async () => {
    const { instance } = breaker();
    for (let i = 0; i < 5; i++) await assert.rejects(instance.execute(() => Promise.reject(new RangeError('4xx'))));
    assert.equal(instance.state, 'closed');
  });
});
