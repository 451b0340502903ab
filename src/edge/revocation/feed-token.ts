/** Where the edge's revocation-feed credential comes from: a fixed value, or a reader (the secrets provider). */
export type FeedTokenSource = string | (() => Promise<string | undefined>) | undefined;

/**
 * The bearer the edge presents to token-service's revocation feed. A read one is kept until the
 * feed refuses it, then read again: token-service may generate it after the edge started, or an
 * operator may rotate it, and the edge picks either up without a restart.
 */
export class FeedToken {
  private cached: string | undefined;

  constructor(private readonly source: FeedTokenSource) {}

  async get(): Promise<string | undefined> {
    if (typeof this.source !== 'function') return this.source;
    this.cached ??= await this.source();
    return this.cached;
  }

  /** The feed answered 401: read the source again before the next pull. */
  refused(): void {
    this.cached = undefined;
  }
}
