import type { EnvReader } from './env-reader.js';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const DEFAULT_DATA_DIR = './data';

export interface PlatformConfig {
  logLevel: LogLevel;
  /** Where the embedded defaults keep their state: the PGlite database, the local secrets, the admin token. */
  dataDir: string;
  /** PostgreSQL; unset means the embedded PGlite database in `dataDir`. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Redis for shared rate limits and events; unset means in-process. */
  redisUrl: string | undefined;
  secretsProvider: 'local' | 'vault';
  /** Base64 of 32 bytes; unset means a generated key file `master.key` (mode 0600) in `dataDir`. */
  masterKey: string | undefined;
  shutdownGraceMs: number;
}

export function readPlatformConfig(env: EnvReader): PlatformConfig {
  const masterKey = env.secret('AUTH_MASTER_KEY', 44);
  if (masterKey !== undefined && Buffer.from(masterKey, 'base64').length !== 32) {
    env.fail('AUTH_MASTER_KEY', 'must be the base64 encoding of exactly 32 bytes');
  }
  return {
    logLevel: env.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    dataDir: env.string('AUTH_DATA_DIR', DEFAULT_DATA_DIR),
    databaseUrl: env.url('DATABASE_URL'),
    databasePoolSize: env.int('DATABASE_POOL_SIZE', 10, { min: 1, max: 200 }),
    redisUrl: env.url('REDIS_URL'),
    secretsProvider: env.oneOf('SECRETS_PROVIDER', ['local', 'vault'] as const, 'local'),
    masterKey,
    shutdownGraceMs: env.duration('AUTH_SHUTDOWN_GRACE', '10s'),
  };
}
