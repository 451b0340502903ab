import { MAX_CLOCK_SKEW_MS, type Logger } from '../platform/index.js';
import type { EventBus, Queryable, Revocation, RevocationRepository } from '../store/index.js';
import { parseClientRevocation, REVOCATION_CHANNEL, type RevocationEvent, type RevocationKind } from '../tokens/index.js';

/** Entries that expired before this may be forgotten. */
function forgetBefore(now: Date): Date {
  return new Date(now.getTime() - MAX_CLOCK_SKEW_MS);
}

export function toEvent(revocation: Revocation): RevocationEvent {
  return {
    seq: revocation.seq,
    kind: revocation.kind,
    value: revocation.value,
    expiresAt: revocation.expiresAt === null ? null : revocation.expiresAt.toISOString(),
  };
}

/**
 * Records revocations in the feed table and broadcasts them. The table is the truth; the bus
 * is the fast path, and an edge that missed a message catches up from the pull feed.
 */
export class RevocationService {
  /** The newest revoke-all epoch (seconds), kept current from this replica's writes and the bus. */
  private epoch = 0;
  /** Per client, the newest `client` revocation cutoff (seconds), kept current the same way. */
  private readonly clientCutoffs = new Map<string, number>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly revocations: RevocationRepository,
    private readonly bus: EventBus,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    this.epoch = await this.revocations.currentEpoch();
    for (const value of await this.revocations.clientEntries()) this.noteClient(value);
    this.unsubscribe = await this.bus.subscribe(REVOCATION_CHANNEL, (message) => {
      const event = message as Partial<RevocationEvent>;
      if (event.kind === 'epoch') this.noteEpoch(Number(event.value));
      if (event.kind === 'client' && typeof event.value === 'string') this.noteClient(event.value);
    });
  }

  stop(): void {
    this.unsubscribe?.();
  }

  /**
   * The earliest `iat` a new token may carry: one second past the epoch and past the client's
   * own cutoff, so a token minted in the same second as a revoke-all or a client revocation is
   * not caught by it.
   */
  minIssuedAt(clientId?: string): number {
    const cutoff = clientId === undefined ? 0 : (this.clientCutoffs.get(clientId) ?? 0);
    return Math.max(this.epoch, cutoff) + 1;
  }

  private noteEpoch(epoch: number): void {
    if (Number.isFinite(epoch) && epoch > this.epoch) this.epoch = epoch;
  }

  private noteClient(value: string): void {
    const revocation = parseClientRevocation(value);
    if (revocation === undefined) return;
    const known = this.clientCutoffs.get(revocation.clientId) ?? 0;
    if (revocation.cutoff > known) this.clientCutoffs.set(revocation.clientId, revocation.cutoff);
  }

  /** Inside a caller's transaction: publish the returned event only after it commits. */
  async record(kind: RevocationKind, value: string, expiresAt: Date | null, tx?: Queryable): Promise<RevocationEvent> {
    const event = toEvent(await this.revocations.add(kind, value, expiresAt, tx));
    if (kind === 'epoch') this.noteEpoch(Number(value));
    return event;
  }

  /**
   * Broadcasts a committed entry. A client's cutoff starts pushing its new tokens' `iat` only
   * now: a token minted while the revocation was being written lands in the cutoff's second and
   * is refused with the rest, instead of being pushed clear of it.
   */
  async publish(event: RevocationEvent): Promise<void> {
    if (event.kind === 'client') this.noteClient(event.value);
    try {
      await this.bus.publish(REVOCATION_CHANNEL, event);
    } catch (error) {
      // The entry is committed; edges will pick it up from the pull feed.
      this.logger.warn({ err: error, seq: event.seq, kind: event.kind }, 'revocation broadcast failed; edges will catch up from the feed');
    }
  }

  async revoke(kind: RevocationKind, value: string, expiresAt: Date | null): Promise<RevocationEvent> {
    const event = await this.record(kind, value, expiresAt);
    await this.publish(event);
    return event;
  }

  /**
   * Entries after `since` that still matter. An entry outlives the tokens it revokes by the most
   * clock skew any edge may allow: an edge admits a token until `exp` plus its skew, and one that
   * starts (or fills a gap) in that window must still learn of the revocation.
   */
  async feed(since: number, limit: number, now: Date): Promise<{ events: RevocationEvent[]; latestSeq: number }> {
    const [entries, latestSeq] = await Promise.all([this.revocations.since(since, limit, forgetBefore(now)), this.revocations.latestSeq()]);
    return { events: entries.map(toEvent), latestSeq };
  }

  /** Deletes entries past their expiry plus the edges' largest skew (see `feed`). */
  purgeExpired(now: Date): Promise<number> {
    return this.revocations.purgeExpired(forgetBefore(now));
  }
}
