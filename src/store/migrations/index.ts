import type { Db } from '../db/db.js';
import { initialSchema } from './001-initial.js';
import { clientRevocations } from './002-client-revocations.js';
import { clientIntrospectionAudiences } from './003-client-introspection-audiences.js';
import { auditAnchor } from './004-audit-anchor.js';

/** Ordered migrations; append only, never edit one that has shipped. */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  { version: 1, name: 'initial', sql: initialSchema },
  { version: 2, name: 'client-revocations', sql: clientRevocations },
  { version: 3, name: 'client-introspection-audiences', sql: clientIntrospectionAudiences },
  { version: 4, name: 'audit-anchor', sql: auditAnchor },
];

// Serialises migrations when several replicas start at once.
const MIGRATION_LOCK = 0x61757468;

export async function migrate(db: Db): Promise<number[]> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const rows = await tx.query<{ version: number }>('SELECT version FROM schema_migrations');
    const applied = new Set(rows.map((r) => r.version));
    const ran: number[] = [];
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      ran.push(migration.version);
    }
    return ran;
  });
}
