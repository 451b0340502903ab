import type { DependencyStatus, Logger } from '../../platform/index.js';
import type { EventBus } from '../../store/index.js';
import { REVOCATION_CHANNEL, KEY_CHANNEL, type KeyEvent, type RevocationEvent } from '../../tokens/index.js';
import { parseRevocationEvent, type TokenServiceClient } from '../token-service-client.js';
import type { ClientRevocations } from './client-revocations.js';
import type { RevocationSet } from './revocation-set.js';

const PAGE_SIZE = 1000;

export interface RevocationSyncOptions {
  set: RevocationSet;
  /** `client` events go here as well; the set keeps the seq bookkeeping for every kind. */
  clients: ClientRevocations;
  bus: EventBus;
  client: TokenServiceClient;
  logger: Logger;
  now: () => number;
  pollIntervalMs: number;
  /** A key was published: the JWKS should be refreshed before tokens signed with it arrive. */
  onKeyPublished: () => void;
}

/**
 * Keeps the revocation set current. Bus events (in-process or Redis pub/sub) apply at once;
 * delivery is at most once, so the pull feed fills gaps: at start, when a seq gap shows missed
 * events, and on a timer as a safety net (e.g. across a Redis reconnect).
 */
export class RevocationSync {
  private unsubscribers: Array<() => void> = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private syncedAt: number | undefined;
  private lastPullFailed = false;

  constructor(private readonly options: RevocationSyncOptions) {}

  async start(): Promise<void> {
    const { bus } = this.options;
    this.unsubscribers.push(
      await bus.subscribe(REVOCATION_CHANNEL, (message) => this.onEvent(message)),
      await bus.subscribe(KEY_CHANNEL, (message) => this.onKeyEvent(message)),
    );
    await this.pull();
    this.timer = setInterval(() => {
      this.options.set.purge(this.options.now());
      this.options.clients.purge(this.options.now());
      void this.pull();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const unsubscribe of this.unsubscribers) unsubscribe();
    this.unsubscribers = [];
  }

  /** Seconds since the set was last confirmed complete by the feed (undefined: never). */
  lagSeconds(): number | undefined {
    return this.syncedAt === undefined ? undefined : (this.options.now() - this.syncedAt) / 1000;
  }

  status(): DependencyStatus {
    // Never `down`: refusing all traffic because the feed is late would turn a revocation
    // delay into an outage. The readiness report and the lag metric make it visible instead.
    if (this.syncedAt === undefined) return { status: 'degraded', detail: 'revocation feed never synced' };
    if (this.lastPullFailed) return { status: 'degraded', detail: 'revocation feed unreachable', lastSeq: this.options.set.lastSeq };
    return { status: 'up', lastSeq: this.options.set.lastSeq };
  }

  /** One pull at a time; reads every page after the last contiguous seq. */
  pull(): Promise<void> {
    this.inFlight ??= this.pullPages().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async pullPages(): Promise<void> {
    const { set, client, logger } = this.options;
    try {
      for (;;) {
        const since = set.lastSeq;
        const page = await client.fetchRevocations(since, PAGE_SIZE);
        for (const event of page.events) this.apply(event);
        const last = page.events[page.events.length - 1]?.seq ?? since;
        // A short page is the end; so is a full one that does not advance (a feed ignoring `since`).
        if (page.events.length < PAGE_SIZE || last <= since) {
          set.markSyncedTo(page.latestSeq);
          break;
        }
        set.markSyncedTo(last);
      }
      this.syncedAt = this.options.now();
      if (this.lastPullFailed) logger.info({ lastSeq: set.lastSeq }, 'revocations: feed restored');
      this.lastPullFailed = false;
    } catch (error) {
      if (!this.lastPullFailed) logger.warn({ err: error }, 'revocations: pull feed failed; relying on bus events');
      this.lastPullFailed = true;
    }
  }

  private onEvent(message: unknown): void {
    const event = parseRevocationEvent(message);
    if (event === undefined) {
      this.options.logger.warn('revocations: malformed bus event ignored');
      return;
    }
    if (this.apply(event) === 'gap') void this.pull();
  }

  private apply(event: RevocationEvent): 'applied' | 'gap' {
    this.options.clients.apply(event);
    return this.options.set.apply(event);
  }

  private onKeyEvent(message: unknown): void {
    const event = message as Partial<KeyEvent> | null;
    if (event?.type === 'published') this.options.onKeyPublished();
    // A retired key arrives as a `key` revocation on the revocation channel, which has a seq.
  }
}
