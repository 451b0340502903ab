import type { JWK } from 'jose';
import type { Logger } from '../../platform/index.js';
import type { DependencyStatus } from '../../platform/index.js';
import type { TokenServiceClient } from '../token-service-client.js';
import { importVerificationKey, type VerificationKey } from './verification-key.js';

export interface JwksCacheOptions {
  client: TokenServiceClient;
  logger: Logger;
  now: () => number;
  refreshIntervalMs: number;
  maxStaleMs: number;
  kidMissMinIntervalMs: number;
}

/** What a kid miss resolves to after (at most) one refresh. */
export type KidResolution = VerificationKey | 'unknown' | 'unavailable';

/**
 * The verification keys, imported once per load. Lookups are synchronous map reads. The set is
 * refreshed in the background; a kid miss may trigger one refresh per `kidMissMinIntervalMs`.
 * When token-service is unreachable the last good set keeps serving until it is `maxStaleMs` old.
 */
export class JwksCache {
  private keys = new Map<string, VerificationKey>();
  private loadedAt: number | undefined;
  /** Only refreshes caused by kid misses count against the miss budget; background ones do not. */
  private lastMissRefreshAt = Number.NEGATIVE_INFINITY;
  private lastAttemptFailed = false;
  private lastError: string | undefined;
  private inFlight: Promise<boolean> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: JwksCacheOptions) {}

  /** Fetches the set once (a failure is logged and left to the background refresh), then keeps it fresh. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.refreshIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The key for `kid`, while the set is fresh enough to trust. */
  lookup(kid: string): VerificationKey | undefined {
    return this.usable() ? this.keys.get(kid) : undefined;
  }

  /**
   * After a miss: join a refresh in flight, or start one unless a miss did so within
   * `kidMissMinIntervalMs`; then answer. `unknown` only when a usable set confirms the kid is
   * absent; otherwise `unavailable`, since a new key may exist.
   */
  async resolveUnknownKid(kid: string): Promise<KidResolution> {
    if (this.inFlight) {
      await this.inFlight;
    } else if (this.options.now() - this.lastMissRefreshAt >= this.options.kidMissMinIntervalMs) {
      this.lastMissRefreshAt = this.options.now();
      await this.refresh();
    }
    const key = this.lookup(kid);
    if (key !== undefined) return key;
    return this.usable() && !this.lastAttemptFailed ? 'unknown' : 'unavailable';
  }

  /** One refresh at a time; concurrent callers share it. Resolves true when the set was replaced. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.load().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  ageMs(): number | undefined {
    return this.loadedAt === undefined ? undefined : this.options.now() - this.loadedAt;
  }

  get size(): number {
    return this.keys.size;
  }

  status(): DependencyStatus {
    const age = this.ageMs();
    const ageSeconds = age === undefined ? null : Math.round(age / 1000);
    if (!this.usable()) {
      return { status: 'down', detail: age === undefined ? 'key set never loaded' : 'key set too stale', ageSeconds };
    }
    if (this.lastAttemptFailed) {
      return { status: 'degraded', detail: `serving cached keys: ${this.lastError ?? 'refresh failed'}`, ageSeconds };
    }
    return { status: 'up', keys: this.keys.size, ageSeconds };
  }

  private usable(): boolean {
    return this.loadedAt !== undefined && this.options.now() - this.loadedAt <= this.options.maxStaleMs;
  }

  private async load(): Promise<boolean> {
    try {
      const document = await this.options.client.fetchJwks();
      const keys = await this.importSet(document);
      this.keys = keys;
      this.loadedAt = this.options.now();
      if (this.lastAttemptFailed) this.options.logger.info({ keys: keys.size }, 'jwks: refresh restored');
      this.lastAttemptFailed = false;
      this.lastError = undefined;
      return true;
    } catch (error) {
      this.lastError = error instanceof Error ? error.message : 'unknown error';
      if (!this.lastAttemptFailed) {
        this.options.logger.warn({ err: error, cachedKeys: this.keys.size }, 'jwks: refresh failed; serving cached keys');
      }
      this.lastAttemptFailed = true;
      return false;
    }
  }

  private async importSet(document: unknown): Promise<Map<string, VerificationKey>> {
    const published = (document as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(published)) throw new Error('JWKS has no keys array');
    const keys = new Map<string, VerificationKey>();
    const duplicated = new Set<string>();
    for (const jwk of published as JWK[]) {
      const imported = await importVerificationKey(jwk);
      if (typeof imported === 'string') {
        this.options.logger.warn({ kid: jwk?.kid, reason: imported }, 'jwks: key skipped');
      } else if (keys.has(imported.kid) || duplicated.has(imported.kid)) {
        // Two keys under one kid would make the choice of key attacker-influenced: trust neither.
        this.options.logger.warn({ kid: imported.kid }, 'jwks: duplicate kid; key skipped');
        keys.delete(imported.kid);
        duplicated.add(imported.kid);
      } else {
        keys.set(imported.kid, imported);
      }
    }
    return keys;
  }
}
