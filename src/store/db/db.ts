import type { DatabaseAvailability } from './availability.js';

/** What repositories need from a SQL database; PostgreSQL and PGlite both speak `$1` parameters. */
export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Db extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /**
   * Whether the server answers (PostgreSQL). Absent on the embedded engine: it runs in this
   * process, so there is no connection to lose and no outage to report apart from the process's own.
   */
  readonly availability?: DatabaseAvailability;
  /**
   * Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. `fn` may run
   * again when the connection was lost under a transaction the server rolled back (PostgreSQL),
   * so its effects belong inside `tx`, and what it computes is recomputed.
   */
  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R>;
  /** A trivial round trip, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
