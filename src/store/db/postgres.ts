import pg from 'pg';
import type { Db, Queryable } from './db.js';

export interface PostgresOptions {
  connectionString: string;
  poolSize: number;
  /** A schema to use instead of `public` (tests isolate themselves this way). */
  schema?: string;
  /** Credentials that override the connection string's, e.g. dynamic ones from Vault. */
  credentials?: { user: string; password: string };
}

/**
 * PostgreSQL through a `pg` pool. The pool can be swapped for one with new credentials
 * (Vault dynamic secrets): new queries go to the new pool while the old one drains.
 */
export class PostgresDb implements Db {
  readonly kind = 'postgres' as const;
  private pool: pg.Pool;

  constructor(private readonly options: PostgresOptions) {
    this.pool = this.createPool(options.credentials);
  }

  private createPool(credentials: PostgresOptions['credentials']): pg.Pool {
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
    return pool;
  }

  /** Moves new queries to a pool with new credentials and lets the old pool drain in the background. */
  async swapCredentials(credentials: { user: string; password: string }): Promise<void> {
    const next = this.createPool(credentials);
    await next.query('SELECT 1');
    const previous = this.pool;
    this.pool = next;
    void previous.end().catch(() => undefined);
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params as unknown[]);
    return result.rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <T>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, params as unknown[])).rows as T[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
