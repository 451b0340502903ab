import { DatabaseUnavailableError, describeOutage, isDatabaseOutage } from './outage.js';

/** A transition: the database became unreachable, or answered again after being unreachable. */
export type AvailabilityChange =
  | { up: false; since: Date; cause: string }
  | { up: true; downForMs: number };

export type AvailabilityState = { up: true } | { up: false; since: Date; cause: string };

/**
 * Whether the database answers, learned from the calls themselves: every call of the database
 * goes through `observe`, so the first one to meet an outage starts it and the first one answered
 * afterwards ends it, whatever made them (requests, readiness probes, background timers). Listeners
 * hear transitions only, so an outage is one log line however many requests meet it.
 */
export class DatabaseAvailability {
  private state: AvailabilityState = { up: true };
  private readonly listeners = new Set<(change: AvailabilityChange) => void>();

  constructor(private readonly now: () => number = Date.now) {}

  current(): AvailabilityState {
    return this.state;
  }

  /** Hears each transition; returns the unsubscribe. */
  subscribe(listener: (change: AvailabilityChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs one call of the database. An outage is thrown as `DatabaseUnavailableError` (its cause
   * kept); any other failure passes through as it is, and counts as an answer: the server was reached.
   */
  async observe<T>(call: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await call();
    } catch (error) {
      if (!isDatabaseOutage(error)) {
        this.answered();
        throw error;
      }
      const outage = error instanceof DatabaseUnavailableError ? error : new DatabaseUnavailableError(error);
      this.unreachable(outage.cause);
      throw outage;
    }
    this.answered();
    return result;
  }

  private answered(): void {
    if (this.state.up) return;
    const downForMs = this.now() - this.state.since.getTime();
    this.state = { up: true };
    this.emit({ up: true, downForMs });
  }

  private unreachable(cause: unknown): void {
    if (!this.state.up) return;
    this.state = { up: false, since: new Date(this.now()), cause: describeOutage(cause) };
    this.emit(this.state);
  }

  private emit(change: AvailabilityChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
