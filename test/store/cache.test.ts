import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { MemoryEventBus, MemoryRateLimiter, RedisEventBus, RedisRateLimiter, type EventBus, type RateLimiter } from '../../src/store/index.js';
import { TEST_REDIS_URL } from '../support/databases.js';

async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('MemoryEventBus', () => {
  test('delivers a published message to every subscriber of the channel, each with its own copy', async () => {
    const bus = new MemoryEventBus();
    const a: unknown[] = [];
    const b: unknown[] = [];
    await bus.subscribe('revocations', (m) => {
      (m as { kind: string }).kind = 'mutated';
      a.push(m);
    });
    await bus.subscribe('revocations', (m) => b.push(m));
    await bus.subscribe('other', () => assert.fail('wrong channel'));
    await bus.publish('revocations', { kind: 'jti', value: 'x' });
    assert.deepEqual(a, [{ kind: 'mutated', value: 'x' }]);
    assert.deepEqual(b, [{ kind: 'jti', value: 'x' }]);
    await bus.close();
  });

  test('unsubscribe stops delivery to that handler only', async () => {
    const bus = new MemoryEventBus();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = await bus.subscribe('keys', (m) => a.push(m));
    await bus.subscribe('keys', (m) => b.push(m));
    offA();
    await bus.publish('keys', 1);
    assert.deepEqual(a, []);
    assert.deepEqual(b, [1]);
    await bus.close();
  });
});

describe('RedisEventBus (real Redis)', () => {
  const buses: EventBus[] = [];
  after(async () => {
    await Promise.all(buses.map((b) => b.close()));
  });
  const open = () => {
    const bus = new RedisEventBus(TEST_REDIS_URL);
    buses.push(bus);
    return bus;
  };

  test('a message published by one replica reaches subscribers on every replica', async () => {
    const channel = `test:${randomUUID()}`;
    const publisher = open();
    const replicaA = open();
    const replicaB = open();
    const gotA: unknown[] = [];
    const gotB: unknown[] = [];
    await replicaA.subscribe(channel, (m) => gotA.push(m));
    await replicaB.subscribe(channel, (m) => gotB.push(m));
    await publisher.publish(channel, { kind: 'family', value: 'f1', seq: 7 });
    await eventually(() => gotA.length === 1 && gotB.length === 1, 'delivery to both replicas');
    assert.deepEqual(gotA, [{ kind: 'family', value: 'f1', seq: 7 }]);
    assert.deepEqual(gotB, gotA);
  });

  test('a non-JSON message on the channel is ignored and later messages still arrive', async () => {
    const channel = `test:${randomUUID()}`;
    const bus = open();
    const got: unknown[] = [];
    await bus.subscribe(channel, (m) => got.push(m));
    const raw = new Redis(TEST_REDIS_URL);
    try {
      await raw.publish(channel, 'not json {');
      await bus.publish(channel, 'fine');
      await eventually(() => got.length >= 1, 'the valid message');
      assert.deepEqual(got, ['fine']);
    } finally {
      raw.disconnect();
    }
  });

  test('unsubscribe stops delivery to that handler while others on the channel keep receiving', async () => {
    const channel = `test:${randomUUID()}`;
    const bus = open();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const offA = await bus.subscribe(channel, (m) => a.push(m));
    await bus.subscribe(channel, (m) => b.push(m));
    offA();
    await bus.publish(channel, 'one');
    await eventually(() => b.length === 1, 'delivery to the remaining handler');
    assert.deepEqual(a, []);
  });
});

const memoryRule = { capacity: 3, windowMs: 1000 };

describe('MemoryRateLimiter', () => {
  test('allows capacity requests, then denies with a retryAfter, and refills over time', async () => {
    let now = 1_000_000;
    const limiter = new MemoryRateLimiter(1000, () => now);
    const decisions = [];
    for (let i = 0; i < 3; i += 1) decisions.push(await limiter.consume('k', memoryRule));
    assert.deepEqual(decisions.map((d) => [d.allowed, d.remaining]), [[true, 2], [true, 1], [true, 0]]);
    const denied = await limiter.consume('k', memoryRule);
    assert.equal(denied.allowed, false);
    assert.equal(denied.retryAfterMs, 334);
    assert.equal(denied.resetMs, 1000);
    now += 200;
    assert.equal((await limiter.consume('k', memoryRule)).allowed, false, 'not yet a whole token back');
    now += 134;
    assert.equal((await limiter.consume('k', memoryRule)).allowed, true, 'one token is back after retryAfter');
    assert.equal((await limiter.consume('k', memoryRule)).allowed, false);
    now += 10_000;
    assert.equal((await limiter.consume('k', memoryRule)).remaining, 2, 'a long idle refills to capacity, not beyond');
  });

  test('keys have separate buckets', async () => {
    const limiter = new MemoryRateLimiter();
    for (let i = 0; i < 3; i += 1) await limiter.consume('a', memoryRule);
    assert.equal((await limiter.consume('a', memoryRule)).allowed, false);
    assert.equal((await limiter.consume('b', memoryRule)).allowed, true);
  });

  test('peek reports without consuming', async () => {
    const limiter = new MemoryRateLimiter(1000, () => 5_000);
    for (let i = 0; i < 5; i += 1) assert.equal((await limiter.peek('p', memoryRule)).allowed, true);
    for (let i = 0; i < 3; i += 1) assert.equal((await limiter.consume('p', memoryRule)).allowed, true);
    const peeked = await limiter.peek('p', memoryRule);
    assert.equal(peeked.allowed, false);
    assert.ok(peeked.retryAfterMs > 0);
  });

  test('a cost larger than one takes that many tokens', async () => {
    const limiter = new MemoryRateLimiter(1000, () => 0);
    assert.equal((await limiter.consume('c', memoryRule, 2)).remaining, 1);
    assert.equal((await limiter.consume('c', memoryRule, 2)).allowed, false);
    assert.equal((await limiter.consume('c', memoryRule, 1)).allowed, true);
  });

  test('the number of buckets is bounded: the oldest is dropped first', async () => {
    const limiter = new MemoryRateLimiter(2, () => 0);
    for (let i = 0; i < 3; i += 1) await limiter.consume('old', memoryRule);
    assert.equal((await limiter.peek('old', memoryRule)).allowed, false);
    await limiter.consume('b', memoryRule);
    await limiter.consume('c', memoryRule);
    assert.equal((await limiter.peek('old', memoryRule)).allowed, true);
  });
});

describe('RedisRateLimiter (real Redis)', () => {
  const limiters: RateLimiter[] = [];
  let raw: Redis;
  let prefix: string;
  before(() => {
    raw = new Redis(TEST_REDIS_URL);
    prefix = `test-ratelimit:${randomUUID()}:`;
  });
  after(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
  });
  const open = () => {
    const limiter = new RedisRateLimiter(TEST_REDIS_URL, prefix);
    limiters.push(limiter);
    return limiter;
  };

  test('allows capacity requests, then denies with a retryAfter within one refill interval', async () => {
    const limiter = open();
    const rule = { capacity: 3, windowMs: 60_000 };
    const key = randomUUID();
    const decisions = [];
    for (let i = 0; i < 3; i += 1) decisions.push(await limiter.consume(key, rule));
    assert.deepEqual(decisions.map((d) => d.allowed), [true, true, true]);
    assert.equal(decisions[2]!.remaining, 0);
    const denied = await limiter.consume(key, rule);
    assert.equal(denied.allowed, false);
    assert.ok(denied.retryAfterMs > 0 && denied.retryAfterMs <= 20_000, `retryAfterMs ${denied.retryAfterMs}`);
  });

  test('the bucket refills over time', async () => {
    const limiter = open();
    const rule = { capacity: 2, windowMs: 400 };
    const key = randomUUID();
    await limiter.consume(key, rule);
    await limiter.consume(key, rule);
    const denied = await limiter.consume(key, rule);
    assert.equal(denied.allowed, false);
    await sleep(denied.retryAfterMs + 150);
    assert.equal((await limiter.consume(key, rule)).allowed, true);
  });

  test('peek does not consume', async () => {
    const limiter = open();
    const rule = { capacity: 2, windowMs: 60_000 };
    const key = randomUUID();
    for (let i = 0; i < 5; i += 1) assert.equal((await limiter.peek(key, rule)).allowed, true);
    assert.equal((await limiter.consume(key, rule)).allowed, true);
    assert.equal((await limiter.consume(key, rule)).allowed, true);
    assert.equal((await limiter.peek(key, rule)).allowed, false);
    assert.equal((await limiter.consume(key, rule)).allowed, false);
  });

  test('two limiter instances (two replicas) share one bucket', async () => {
    const a = open();
    const b = open();
    const rule = { capacity: 4, windowMs: 60_000 };
    const key = randomUUID();
    await a.consume(key, rule);
    await b.consume(key, rule);
    await a.consume(key, rule);
    assert.equal((await b.consume(key, rule)).allowed, true);
    assert.equal((await a.consume(key, rule)).allowed, false);
    assert.equal((await b.peek(key, rule)).allowed, false);
  });

  test('concurrent consumers never get more than capacity between them', async () => {
    const a = open();
    const b = open();
    const rule = { capacity: 5, windowMs: 600_000 };
    const key = randomUUID();
    const decisions = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).consume(key, rule)));
    assert.equal(decisions.filter((d) => d.allowed).length, 5);
  });

  test('a bucket key expires in Redis instead of lingering forever', async () => {
    const limiter = open();
    const rule = { capacity: 2, windowMs: 5_000 };
    const key = randomUUID();
    await limiter.consume(key, rule);
    const ttl = await raw.pttl(prefix + key);
    assert.ok(ttl > 0 && ttl <= 5_000, `pttl ${ttl}`);
  });
});
