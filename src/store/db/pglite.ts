import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Db, Queryable } from './db.js';

/** The embedded default: a real PostgreSQL engine in WebAssembly, persisted in a data directory. */
export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;

  private constructor(private readonly pg: PGlite) {}

  /**
   * `dataDir` undefined means in memory (tests). `template` is a dump from `dump()`: starting
   * from one skips initdb, which is most of PGlite's start-up time.
   */
  static async open(dataDir: string | undefined, template?: Blob): Promise<PgliteDb> {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    const pg = await PGlite.create(dataDir, template === undefined ? {} : { loadDataDir: template });
    return new PgliteDb(pg);
  }

  /** The whole database as an uncompressed tarball. */
  async dump(): Promise<Blob> {
    return this.pg.dumpDataDir('none');
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    const result = await this.pg.query<T>(sql, params as unknown[]);
    return result.rows;
  }

  async exec(sql: string): Promise<void> {
    await this.pg.exec(sql);
  }

  async transaction<R>(fn: (tx: Queryable) => Promise<R>): Promise<R> {
    return this.pg.transaction(async (tx) =>
      fn({
        query: async <T>(sql: string, params: readonly unknown[] = []) =>
          (await tx.query<T>(sql, params as unknown[])).rows,
        exec: async (sql: string) => {
          await tx.exec(sql);
        },
      }),
    );
  }

  async ping(): Promise<void> {
    await this.pg.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.pg.closed) await this.pg.close();
  }
}
