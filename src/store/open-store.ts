import { join } from 'node:path';
import { MemoryEventBus, RedisEventBus, type EventBus } from './cache/event-bus.js';
import { MemoryRateLimiter, RedisRateLimiter, type RateLimiter } from './cache/rate-limiter.js';
import type { Db } from './db/db.js';
import { PgliteDb } from './db/pglite.js';
import { PostgresDb } from './db/postgres.js';
import { migrate } from './migrations/index.js';
import { AssertionJtiRepository } from './repos/assertion-jtis.js';
import { AuditLogRepository } from './repos/audit-log.js';
import { ClientRepository } from './repos/clients.js';
import { RefreshFamilyRepository } from './repos/refresh-families.js';
import { RevocationRepository } from './repos/revocations.js';
import { SigningKeyRepository } from './repos/signing-keys.js';

export interface StoreOptions {
  /** PostgreSQL; when absent the embedded PGlite database is used. */
  databaseUrl?: string | undefined;
  poolSize?: number;
  /** PostgreSQL schema to use instead of `public` (test isolation). */
  schema?: string;
  /** Where PGlite keeps its files; undefined keeps it in memory. */
  dataDir?: string | undefined;
  /** A PGlite dump to start from instead of an empty database. */
  pgliteTemplate?: Blob;
  /** Dynamic credentials for PostgreSQL, replacing the URL's. */
  credentials?: { user: string; password: string };
  /** PostgreSQL refused the dynamic credentials: replace them (see PostgresOptions). */
  onCredentialsRejected?: (user: string) => Promise<void>;
  redisUrl?: string | undefined;
  onRedisError?: (error: Error) => void;
}

export interface Store {
  db: Db;
  clients: ClientRepository;
  refreshFamilies: RefreshFamilyRepository;
  revocations: RevocationRepository;
  signingKeys: SigningKeyRepository;
  assertionJtis: AssertionJtiRepository;
  audit: AuditLogRepository;
  bus: EventBus;
  rateLimiter: RateLimiter;
  close(): Promise<void>;
}

export async function openDb(options: StoreOptions): Promise<Db> {
  if (options.databaseUrl !== undefined) {
    return new PostgresDb({
      connectionString: options.databaseUrl,
      poolSize: options.poolSize ?? 10,
      ...(options.schema ? { schema: options.schema } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.onCredentialsRejected ? { onCredentialsRejected: options.onCredentialsRejected } : {}),
    });
  }
  return PgliteDb.open(options.dataDir === undefined ? undefined : join(options.dataDir, 'pglite'), options.pgliteTemplate);
}

export interface Cache {
  bus: EventBus;
  rateLimiter: RateLimiter;
  close(): Promise<void>;
}

/** The event bus and rate limiter alone, for a service with no database (the edge): Redis when configured, else in-process. */
export function openCache(options: Pick<StoreOptions, 'redisUrl' | 'onRedisError'>): Cache {
  const onRedisError = options.onRedisError ?? (() => undefined);
  const bus = options.redisUrl ? new RedisEventBus(options.redisUrl, onRedisError) : new MemoryEventBus();
  const rateLimiter = options.redisUrl ? new RedisRateLimiter(options.redisUrl, 'ratelimit:', onRedisError) : new MemoryRateLimiter();
  return {
    bus,
    rateLimiter,
    async close() {
      await Promise.allSettled([bus.close(), rateLimiter.close()]);
    },
  };
}

/** Opens the database (migrated), the repositories and the cache/event adapters. */
export async function openStore(options: StoreOptions): Promise<Store> {
  const db = await openDb(options);
  await migrate(db);
  const { bus, rateLimiter, close: closeCache } = openCache(options);
  return {
    db,
    clients: new ClientRepository(db),
    refreshFamilies: new RefreshFamilyRepository(db),
    revocations: new RevocationRepository(db),
    signingKeys: new SigningKeyRepository(db),
    assertionJtis: new AssertionJtiRepository(db),
    audit: new AuditLogRepository(db),
    bus,
    rateLimiter,
    async close() {
      await closeCache();
      await db.close();
    },
  };
}
