import { DatabaseUnavailableError, type ClientRecord, type ClientRepository, type EventBus } from '../../store/index.js';

/** Admin changes to a client, so every replica drops its cached copy at once. */
export const CLIENT_CHANNEL = 'token-service.clients';

export interface ClientCacheOptions {
  /** How long an entry is trusted without a change event: the bound on staleness if an event is lost. */
  ttlMs: number;
  maxEntries: number;
  now: () => number;
  /** Whether the database is known to be unreachable: expired entries then serve without asking it. */
  databaseDown?: () => boolean;
}

/**
 * Client records for client authentication, so the token endpoint does not query the database on
 * every request. The admin API calls `invalidate` when it changes or deletes a client; the event
 * reaches other replicas over the bus, and `ttlMs` bounds staleness if it does not. Unknown client
 * ids are never cached. Bounded: the oldest entry goes first.
 *
 * While the database is unreachable, an expired entry still serves: nobody can change a client
 * then (the admin API needs the database), so the last record read still speaks for it, and its
 * client keeps getting tokens through the outage. The cost: a change made on another replica just
 * before the outage, whose event was lost, stays unseen here until the database is back.
 */
export class ClientCache {
  private readonly entries = new Map<string, { record: ClientRecord; expiresAt: number }>();
  /** Bumped by every invalidation, so a read that raced one does not store what it read. */
  private generation = 0;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly clients: ClientRepository,
    private readonly bus: EventBus,
    private readonly options: ClientCacheOptions,
  ) {}

  async start(): Promise<void> {
    this.unsubscribe = await this.bus.subscribe(CLIENT_CHANNEL, (message) => {
      const clientId = (message as { clientId?: unknown } | null)?.clientId;
      if (typeof clientId === 'string') this.drop(clientId);
    });
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const entry = this.entries.get(clientId);
    if (entry !== undefined && (entry.expiresAt > this.options.now() || this.options.databaseDown?.() === true)) return entry.record;
    const generation = this.generation;
    let record: ClientRecord | undefined;
    try {
      record = await this.clients.get(clientId);
    } catch (error) {
      const stale = this.entries.get(clientId);
      if (stale !== undefined && error instanceof DatabaseUnavailableError) return stale.record;
      throw error;
    }
    if (record === undefined) {
      this.entries.delete(clientId);
    } else if (generation === this.generation && this.options.maxEntries > 0) {
      this.entries.delete(clientId);
      if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
      this.entries.set(clientId, { record, expiresAt: this.options.now() + this.options.ttlMs });
    }
    return record;
  }

  /** Drops the client here and on every replica; call after changing or deleting it. */
  async invalidate(clientId: string): Promise<void> {
    this.drop(clientId);
    // A lost event costs at most ttlMs of staleness on the other replicas; never the admin call.
    await this.bus.publish(CLIENT_CHANNEL, { clientId }).catch(() => undefined);
  }

  private drop(clientId: string): void {
    this.generation += 1;
    this.entries.delete(clientId);
  }
}
