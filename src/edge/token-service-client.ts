import { request, type Dispatcher } from 'undici';
import { z } from 'zod';
import type { RevocationEvent } from '../tokens/index.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { FeedToken } from './revocation/feed-token.js';

/** token-service answered, but not with what the edge asked for. */
export class TokenServiceError extends Error {
  readonly code = 'token_service_error';
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = 'TokenServiceError';
  }
}

/** A 4xx means token-service is up and said no (a bad feed token): not a reason to open the breaker. */
export function isOutage(error: unknown): boolean {
  return !(error instanceof TokenServiceError && error.status >= 400 && error.status < 500);
}

const REVOCATION_EVENT = z.object({
  seq: z.number().int().nonnegative(),
  kind: z.enum(['jti', 'family', 'epoch', 'key', 'client']),
  value: z.string().min(1).max(1024),
  expiresAt: z.string().nullable(),
});
const REVOCATION_PAGE = z.object({ events: z.array(REVOCATION_EVENT), latestSeq: z.number().int().nonnegative() });

export function parseRevocationEvent(message: unknown): RevocationEvent | undefined {
  const result = REVOCATION_EVENT.safeParse(message);
  return result.success ? result.data : undefined;
}

export interface TokenServiceClientOptions {
  /** The internal listener, where the revocation feed is. */
  internalUrl: string;
  jwksUrl: string;
  /** The revocation feed's bearer credential. */
  feedToken: FeedToken;
  timeoutMs: number;
  breaker: CircuitBreaker;
  /** Connects to token-service; the mesh's mTLS agent in native mode, undici's default otherwise. */
  dispatcher?: Dispatcher;
}

/** Every call the edge makes to token-service, each through the one circuit breaker. */
export class TokenServiceClient {
  constructor(private readonly options: TokenServiceClientOptions) {}

  fetchJwks(): Promise<unknown> {
    return this.getJson(this.options.jwksUrl, {});
  }

  async fetchRevocations(since: number, limit: number): Promise<{ events: RevocationEvent[]; latestSeq: number }> {
    const url = `${this.options.internalUrl}/internal/revocations?since=${since}&limit=${limit}`;
    const headers: Record<string, string> = {};
    const token = await this.options.feedToken.get();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let body: unknown;
    try {
      body = await this.getJson(url, headers);
    } catch (error) {
      if (error instanceof TokenServiceError && error.status === 401) this.options.feedToken.refused();
      throw error;
    }
    const page = REVOCATION_PAGE.safeParse(body);
    if (!page.success) throw new TokenServiceError(200, 'revocation feed answered an unexpected shape');
    return page.data;
  }

  private getJson(url: string, headers: Record<string, string>): Promise<unknown> {
    return this.options.breaker.execute(async () => {
      const response = await request(url, {
        headers: { accept: 'application/json', ...headers },
        signal: AbortSignal.timeout(this.options.timeoutMs),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
      if (response.statusCode < 200 || response.statusCode >= 300) {
        await response.body.dump();
        throw new TokenServiceError(response.statusCode, `${new URL(url).pathname} answered ${response.statusCode}`);
      }
      return response.body.json();
    });
  }
}
