import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryEventBus, RedisRateLimiter } from '../../src/store/index.js';
import { TEST_REDIS_URL } from '../support/databases.js';
import { FakeIssuer } from '../support/fake-issuer.js';
import { refusalCode, startTestEdge, verify, type TestEdge } from './edge-harness.js';

async function withEdges(
  count: number,
  env: Record<string, string>,
  run: (issuer: FakeIssuer, edges: TestEdge[]) => Promise<void>,
  redisPrefix?: string,
): Promise<void> {
  const bus = new MemoryEventBus();
  const issuer = await FakeIssuer.start({ bus });
  const limiters = redisPrefix === undefined ? [] : Array.from({ length: count }, () => new RedisRateLimiter(TEST_REDIS_URL, redisPrefix));
  const edges: TestEdge[] = [];
  try {
    for (let i = 0; i < count; i++) {
      edges.push(await startTestEdge({ issuer, bus, env, ...(limiters[i] ? { rateLimiter: limiters[i] } : {}) }));
    }
    await run(issuer, edges);
  } finally {
    await Promise.all(edges.map((edge) => edge.close()));
    await Promise.all(limiters.map((limiter) => limiter.close()));
    await issuer.close();
  }
}

describe('rate limits', () => {
  it('limits each client and subject with a token bucket, answering 429 with Retry-After and RateLimit headers', async () => {
    await withEdges(1, { EDGE_RATE_LIMIT_SUBJECT: '3/1m' }, async (issuer, [edge]) => {
      const alice = await issuer.sign({ sub: 'alice' });
      for (let i = 0; i < 3; i++) assert.equal((await verify(edge!, alice)).status, 200);
      const limited = await verify(edge!, alice);
      assert.equal(limited.status, 429);
      assert.equal(await refusalCode(limited), 'rate_limited');
      assert.ok(Number(limited.headers.get('retry-after')) >= 1);
      assert.equal(limited.headers.get('ratelimit-limit'), '3');
      assert.equal(limited.headers.get('ratelimit-remaining'), '0');
      assert.equal(limited.headers.get('ratelimit-policy'), '3;w=60');
      assert.ok(Number(limited.headers.get('ratelimit-reset')) >= 1);
      assert.equal(limited.headers.get('www-authenticate'), null, 'a rate limit is not a credential problem');
      assert.equal((await verify(edge!, await issuer.sign({ sub: 'bob' }))).status, 200, 'another subject has its own bucket');
    });
  });

  it('limits each client IP before any token work, so bad tokens are shed too', async () => {
    await withEdges(1, { EDGE_RATE_LIMIT_IP: '4/1m' }, async (issuer, [edge]) => {
      for (let i = 0; i < 4; i++) assert.equal((await verify(edge!, 'garbage')).status, 401);
      const limited = await verify(edge!, await issuer.sign());
      assert.equal(limited.status, 429);
      assert.equal(await refusalCode(limited), 'rate_limited');
    });
  });

  it('shares buckets across edge instances through Redis', async () => {
    await withEdges(
      2,
      { EDGE_RATE_LIMIT_SUBJECT: '3/1m' },
      async (issuer, [first, second]) => {
        const token = await issuer.sign({ sub: `shared-${randomUUID()}` });
        assert.equal((await verify(first!, token)).status, 200);
        assert.equal((await verify(second!, token)).status, 200);
        assert.equal((await verify(first!, token)).status, 200);
        assert.equal((await verify(second!, token)).status, 429);
      },
      `edge-test-${randomUUID()}:`,
    );
  });
});
