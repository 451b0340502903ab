import { Redis } from 'ioredis';

/** A token bucket: `capacity` requests at once, refilled at `capacity` per `windowMs`. */
export interface RateRule {
  capacity: number;
  windowMs: number;
}

export interface RateDecision {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** When denied: how long until one token is back. */
  retryAfterMs: number;
  /** How long until the bucket is full again. */
  resetMs: number;
}

export interface RateLimiter {
  readonly kind: 'memory' | 'redis';
  consume(key: string, rule: RateRule, cost?: number): Promise<RateDecision>;
  /** Whether one request would be allowed now, without taking a token. */
  peek(key: string, rule: RateRule): Promise<RateDecision>;
  close(): Promise<void>;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

function decide(tokens: number, rule: RateRule, cost: number): RateDecision & { tokens: number } {
  const perMs = rule.capacity / rule.windowMs;
  const allowed = tokens >= cost;
  const left = allowed ? tokens - cost : tokens;
  return {
    allowed,
    tokens: left,
    remaining: Math.floor(left),
    retryAfterMs: allowed ? 0 : Math.ceil((cost - left) / perMs),
    resetMs: Math.ceil((rule.capacity - left) / perMs),
  };
}

/** Per-process buckets, bounded in number: the oldest bucket is dropped first. */
export class MemoryRateLimiter implements RateLimiter {
  readonly kind = 'memory' as const;
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly maxBuckets = 100_000, private readonly now: () => number = Date.now) {}

  private refilled(bucket: Bucket | undefined, rule: RateRule, now: number): number {
    return bucket === undefined
      ? rule.capacity
      : Math.min(rule.capacity, bucket.tokens + ((now - bucket.updatedAt) * rule.capacity) / rule.windowMs);
  }

  consumeSync(key: string, rule: RateRule, cost = 1): RateDecision {
    const now = this.now();
    const bucket = this.buckets.get(key);
    const decision = decide(this.refilled(bucket, rule, now), rule, cost);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxBuckets) this.buckets.delete(this.buckets.keys().next().value as string);
      this.buckets.set(key, { tokens: decision.tokens, updatedAt: now });
    } else {
      bucket.tokens = decision.tokens;
      bucket.updatedAt = now;
    }
    const { tokens: _tokens, ...result } = decision;
    return result;
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    return this.consumeSync(key, rule, cost);
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const { tokens: _tokens, ...result } = decide(this.refilled(this.buckets.get(key), rule, this.now()), rule, 1);
    return result;
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }
}

/**
 * The same bucket kept in Redis by one Lua script, so refill and take are atomic and every
 * replica shares the count. Redis's clock is used, so replicas' clocks need not agree.
 */
const TOKEN_BUCKET_SCRIPT = `
local key = KEYS[1]
local capacity = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local state = redis.call('HMGET', key, 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil then tokens = capacity; ts = now end
tokens = math.min(capacity, tokens + (now - ts) * capacity / window)
local allowed = 0
if tokens >= cost then tokens = tokens - cost; allowed = 1 end
redis.call('HSET', key, 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', key, window)
return {allowed, tostring(tokens)}
`;

export class RedisRateLimiter implements RateLimiter {
  readonly kind = 'redis' as const;
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'ratelimit:', onError: (error: Error) => void = () => undefined) {
    // While Redis is unreachable a command waits at most commandTimeout for the reconnect, then
    // fails: callers fail open, and a rate-limit check must never hold a request for seconds.
    this.redis = new Redis(url, { maxRetriesPerRequest: 1, commandTimeout: 250 });
    this.redis.on('error', onError);
    this.redis.defineCommand('tokenBucket', { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
  }

  async consume(key: string, rule: RateRule, cost = 1): Promise<RateDecision> {
    const [allowed, tokens] = await this.run(key, rule, cost);
    const before = Number(tokens) + (allowed === 1 ? cost : 0);
    const { tokens: _t, ...result } = decide(before, rule, cost);
    return result;
  }

  async peek(key: string, rule: RateRule): Promise<RateDecision> {
    const [, tokens] = await this.run(key, rule, 0);
    const { tokens: _t, ...result } = decide(Number(tokens), rule, 1);
    return result;
  }

  private run(key: string, rule: RateRule, cost: number): Promise<[number, string]> {
    return (this.redis as unknown as {
      tokenBucket(k: string, c: number, w: number, cost: number): Promise<[number, string]>;
    }).tokenBucket(this.prefix + key, rule.capacity, rule.windowMs, cost);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
