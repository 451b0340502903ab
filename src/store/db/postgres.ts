import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { DatabaseAvailability } from './availability.js';
import type { Db, Queryable } from './db.js';
import { connectionLost, credentialsRejected } from './postgres-errors.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** A schema to use instead of `public` (tests isolate themselves this way). */
  schema?: string;
  /** Credentials that override the connection string's, e.g. dynamic ones from Vault. */
  credentials?: { user: string; password: string };
  /**
   * Called with the user PostgreSQL refused while connecting (28000/28P01: the role was revoked,
   * the password is wrong). It should get new credentials and call `swapCredentials`; the
   * connection is then opened again, on the new pool.
   */
  onCredentialsRejected?: (user: string) => Promise<void>;
}

interface CredentialedPool {
  pool: pg.Pool;
  user: string;
}

interface Checkout {
  client: pg.PoolClient;
  /** Back to the pool; with an error, the client is closed instead (as pg's own pool.query does). */
  release(error?: unknown): void;
}

/**
 * A statement that only reads, so it may be sent again when its connection was lost before it
 * answered. Nothing in this codebase writes from a SELECT; a write that must survive a lost
 * connection goes through `transaction()`, whose outcome can be known.
 */
const READ_ONLY = /^\s*select\b/i;
/** A transaction whose COMMIT lost its connection is settled once its backend has exited: ask a few times. */
const SETTLE_POLLS = 20;
const SETTLE_POLL_MS = 25;

/**
 * PostgreSQL through a `pg` pool. The pool can be swapped for one with new credentials (Vault
 * dynamic secrets): new queries go to the new pool while the old one drains. A revoked role is
 * survived without failing callers:
 * - credentials refused while connecting (nothing ran) are replaced through
 *   `onCredentialsRejected` and the connection is opened again;
 * - a read whose session was terminated is sent again;
 * - a transaction whose session was terminated before COMMIT was rolled back by the server and
 *   runs again; one terminated during COMMIT runs again only if PostgreSQL says it aborted.
 * What stays a failure: a single write outside a transaction whose session was terminated while it
 * ran (it may have committed), and a COMMIT whose outcome cannot be learned.
 */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  /** Every public call goes through it: an outage fails as DatabaseUnavailableError and is noticed once. */
  readonly availability = new DatabaseAvailability();
  private current: CredentialedPool;
  private replacing: Promise<void> | undefined;

  constructor(private readonly options: PostgresOptions) {
    this.current = this.createPool(options.credentials);
  }

  private createPool(credentials: PostgresOptions['credentials']): CredentialedPool {
    // pg lets the connection string override explicit user/password options (even with
    // undefined), so dynamic credentials must go into the URL itself.
    const url = new URL(this.options.connectionString);
    if (credentials !== undefined) {
      url.username = encodeURIComponent(credentials.user);
      url.password = encodeURIComponent(credentials.password);
    }
    const pool = new pg.Pool({
      connectionString: url.toString(),
      max: this.options.poolSize,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 5_000,
      ...(this.options.schema ? { options: `-c search_path=${this.options.schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    return { pool, user: credentials?.user ?? decodeURIComponent(url.username) };
  }

  /** Moves new queries to a pool with new credentials and lets the old pool drain in the background. */
  async swapCredentials(credentials: { user: string; password: string }): Promise<void> {
    const next = this.createPool(credentials);
    try {
      await next.pool.query('SELECT 1');
    } catch (error) {
      void next.pool.end().catch(() => undefined);
      throw error;
    }
    const previous = this.current;
    this.current = next;
    void previous.pool.end().catch(() => undefined);
  }

  query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return this.availability.observe(() => this.queryRetryingReads<T>(sql, params));
  }

  exec(sql: string): Promise<void> {
    return this.availability.observe(() => this.execOnce(sql));
  }

  transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    return this.availability.observe(() => this.transactionRetrying(fn));
  }

  private async queryRetryingReads<T>(sql: string, params: readonly unknown[]): Promise<T[]> {
    for (let attempt = 1; ; attempt += 1) {
      const { client, release } = await this.checkout();
      try {
        const result = await client.query(sql, params as unknown[]);
        release();
        return result.rows as T[];
      } catch (error) {
        release(error);
        if (attempt < this.attemptsWhenLost() && connectionLost(error) && READ_ONLY.test(sql)) continue;
        throw error;
      }
    }
  }

  private async execOnce(sql: string): Promise<void> {
    const { client, release } = await this.checkout();
    try {
      await client.query(sql);
      release();
    } catch (error) {
      release(error);
      throw error;
    }
  }

  private async transactionRetrying<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.attemptTransaction(fn);
      if ('result' in outcome) return outcome.result;
      if (attempt >= this.attemptsWhenLost()) throw outcome.rolledBack;
    }
  }

  /**
   * How often a call whose connection was lost may be tried, when trying again is safe. A revoked
   * role's sessions are all terminated at once, and the pool may hand out an idle one before
   * hearing so; each lost try discards one. So: one per pooled connection, and one on a new one.
   */
  private attemptsWhenLost(): number {
    return this.options.poolSize + 1;
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.current.pool.end();
  }

  /**
   * One run of `fn` in BEGIN … COMMIT. A lost connection resolves to `rolledBack` when the server
   * has certainly rolled the transaction back, so it may run again; to the result when it
   * committed (or wrote nothing); and throws when that cannot be known.
   */
  private async attemptTransaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<{ result: R } | { rolledBack: unknown }> {
    const { client, release } = await this.checkout();
    let outcome: { result: R; xid: string | null } | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <T>(sql: string, params: readonly unknown[] = []) => (await client.query(sql, params as unknown[])).rows as T[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      // The transaction's id if it wrote anything: should COMMIT lose its connection, it tells whether it committed.
      const rows = await client.query<{ xid: string | null }>('SELECT txid_current_if_assigned()::text AS xid');
      outcome = { result, xid: rows.rows[0]?.xid ?? null };
      await client.query('COMMIT');
      release();
      return { result };
    } catch (error) {
      if (!connectionLost(error)) {
        await client.query('ROLLBACK').catch(() => undefined);
        release();
        throw error;
      }
      release(error);
      // Lost before COMMIT was sent: the server rolled back when the session ended.
      if (outcome === undefined) return { rolledBack: error };
      if (outcome.xid === null) return { result: outcome.result };
      const status = await this.settledStatus(outcome.xid);
      if (status === 'committed') return { result: outcome.result };
      if (status === 'aborted') return { rolledBack: error };
      throw error;
    }
  }

  /** `txid_status` once the transaction has settled; undefined when it cannot be learned. */
  private async settledStatus(xid: string): Promise<string | undefined> {
    for (let poll = 0; poll < SETTLE_POLLS; poll += 1) {
      const rows = await this.query<{ status: string | null }>('SELECT txid_status($1::bigint) AS status', [xid]).catch(() => undefined);
      const status = rows?.[0]?.status ?? undefined;
      if (status !== 'in progress') return status;
      await delay(SETTLE_POLL_MS);
    }
    return undefined;
  }

  /**
   * A client of the current pool. Credentials refused while connecting are replaced (at most one
   * replacement at a time, however many callers were refused) and the connection is opened again.
   */
  private async checkout(): Promise<Checkout> {
    const used = this.current;
    let client: pg.PoolClient;
    try {
      client = await used.pool.connect();
    } catch (error) {
      if (!credentialsRejected(error) || !(await this.movedOff(used))) throw error;
      client = await this.current.pool.connect();
    }
    // A checked-out client whose session is terminated between statements emits 'error'; unheard, it would crash the process.
    const onError = () => undefined;
    client.on('error', onError);
    return {
      client,
      release(error?: unknown) {
        client.off('error', onError);
        client.release(error === undefined ? undefined : error instanceof Error ? error : true);
      },
    };
  }

  /** Whether the pool has moved off `used`'s credentials, asking for new ones when it has not. */
  private async movedOff(used: CredentialedPool): Promise<boolean> {
    const replace = this.options.onCredentialsRejected;
    if (this.current === used && replace !== undefined) {
      this.replacing ??= replace(used.user)
        .catch(() => undefined)
        .finally(() => {
          this.replacing = undefined;
        });
      await this.replacing;
    }
    return this.current !== used;
  }
}
