import { Pool } from 'undici';

/** One keep-alive connection pool per upstream origin, created at start. */
export class UpstreamPools {
  private readonly pools = new Map<string, Pool>();

  constructor(upstreams: readonly string[], connections: number) {
    for (const upstream of upstreams) {
      const origin = new URL(upstream).origin;
      if (!this.pools.has(origin)) this.pools.set(origin, new Pool(origin, { connections, keepAliveTimeout: 10_000 }));
    }
  }

  get(origin: string): Pool {
    return this.pools.get(origin)!;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.close()));
  }
}
