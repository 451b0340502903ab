import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { migrate, MIGRATIONS, openStore, PgliteDb, type Store, type StoreOptions } from '../../src/store/index.js';

/** PostgreSQL for tests: the machine's server, or TEST_DATABASE_URL. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface DatabaseTarget {
  name: 'pglite' | 'postgres';
  /** Opens a fresh, migrated, isolated store (a new PGlite, or a new PostgreSQL schema). */
  open(extra?: Partial<StoreOptions>): Promise<Store>;
}

/** Runs `sql` as the test database's superuser on a connection of its own; returns the rows. */
export async function adminQuery(sql: string, params: unknown[] = []): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Array<Record<string, unknown>>;
  } finally {
    await client.end();
  }
}

/** Creates a throwaway schema so parallel test files never see each other's rows. */
export async function createTestSchema(): Promise<{ schema: string; drop(): Promise<void> }> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  return {
    schema,
    async drop() {
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA ${schema} CASCADE`);
      await c.end();
    },
  };
}

/**
 * `DATABASE_URL` for a service process confined to `schema`: starting on PostgreSQL takes a second
 * where initialising an embedded PGlite takes tens of seconds on a loaded machine.
 */
export function databaseUrlForSchema(schema: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return url.toString();
}

const TEMPLATE_DIR = join('node_modules', '.cache', 'auth-platform');

/**
 * A migrated, empty PGlite database as a dump, cached on disk per schema version: each test
 * process starts from it in a fraction of the time initdb takes.
 */
async function pgliteTemplate(): Promise<Blob> {
  const version = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16);
  const file = join(TEMPLATE_DIR, `pglite-${version}.tar`);
  if (!existsSync(file)) {
    const db = await PgliteDb.open(undefined);
    await migrate(db);
    const dump = Buffer.from(await (await db.dump()).arrayBuffer());
    await db.close();
    mkdirSync(TEMPLATE_DIR, { recursive: true });
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, dump);
    renameSync(temp, file);
  }
  return new Blob([readFileSync(file)]);
}

/** Both engines every repository must work on: the embedded default and real PostgreSQL. */
export const DATABASES: DatabaseTarget[] = [
  {
    name: 'pglite',
    open: async (extra = {}) => openStore({ pgliteTemplate: await pgliteTemplate(), ...extra }),
  },
  {
    name: 'postgres',
    async open(extra = {}) {
      const { schema, drop } = await createTestSchema();
      const store = await openStore({ databaseUrl: TEST_DATABASE_URL, schema, poolSize: 5, ...extra });
      const close = store.close;
      store.close = async () => {
        await close();
        await drop();
      };
      return store;
    },
  },
];
