import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { createLogger, type Logger, type VaultConfig } from '../../src/platform/index.js';
import { PostgresDb } from '../../src/store/index.js';
import { adminQuery, TEST_DATABASE_URL } from '../support/databases.js';
import type { DatabaseRole, VaultStandin } from '../support/vault-standin/index.js';

/** A Vault configuration pointed at the stand-in, with every timing shortened for tests. */
export function testVaultConfig(standin: VaultStandin, overrides: Partial<VaultConfig> = {}): VaultConfig {
  return {
    addr: standin.addr,
    caCertFile: undefined,
    namespace: undefined,
    auth: { method: 'token', token: standin.rootToken },
    kvMount: 'secret',
    kvPrefix: 'auth-platform',
    databaseMount: 'database',
    databaseRole: undefined,
    gracePeriodMs: 3_000,
    requestTimeoutMs: 500,
    backoffMinMs: 50,
    backoffMaxMs: 300,
    healthIntervalMs: 200,
    leaseCheckIntervalMs: 300,
    ...overrides,
  };
}

/** The environment of a service started from its configuration on the stand-in: testVaultConfig's timings, with a grace of `gracePeriod`. */
export function testVaultEnv(standin: VaultStandin, gracePeriod: string): Record<string, string> {
  return {
    SECRETS_PROVIDER: 'vault',
    VAULT_ADDR: standin.addr,
    VAULT_TOKEN: standin.rootToken,
    VAULT_GRACE_PERIOD: gracePeriod,
    VAULT_REQUEST_TIMEOUT: '500ms',
    VAULT_BACKOFF_MIN: '50ms',
    VAULT_BACKOFF_MAX: '300ms',
    VAULT_HEALTH_INTERVAL: '200ms',
  };
}

/** A logger whose lines are kept, to assert on what `grep -i vault` would show and on what must never appear. */
export function capturedLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
      done();
    },
  });
  return { logger: createLogger({ level: 'debug', name: 'vault-test', destination }), lines, text: () => lines.join('\n') };
}

/** Waits until `check` holds (bounded), polling; fails with `what` if it never does. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A schema with a table and a group role holding the grants on it; the database role's
 * creation statements put each dynamic user in that group, as a Vault setup would. With
 * `actAsGroup`, users also act as the group and may create tables, as deploy/vault/setup-database.sh
 * sets them up, so token-service's migrations can run there and survive a revoked user;
 * `serviceUrl` then points a service's DATABASE_URL at the schema.
 */
export async function databaseFixture(ttl: { defaultTtlS: number; maxTtlS: number }, options: { actAsGroup?: boolean } = {}): Promise<{
  role: DatabaseRole;
  schema: string;
  url: string;
  serviceUrl: string;
  admin(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  drop(): Promise<void>;
}> {
  const id = randomBytes(5).toString('hex');
  const schema = `vault_${id}`;
  const group = `vault_app_${id}`;
  const admin = adminQuery;
  await admin(`CREATE SCHEMA ${schema}`);
  await admin(`CREATE TABLE ${schema}.hits (id serial PRIMARY KEY, at timestamptz NOT NULL DEFAULT now())`);
  await admin(`CREATE ROLE ${group} NOLOGIN`);
  await admin(`GRANT USAGE ON SCHEMA ${schema} TO ${group}`);
  await admin(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${schema} TO ${group}`);
  await admin(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${schema} TO ${group}`);
  if (options.actAsGroup) await admin(`GRANT CREATE ON SCHEMA ${schema} TO ${group}`);
  const serviceUrl = new URL(TEST_DATABASE_URL);
  serviceUrl.searchParams.set('options', `-c search_path=${schema}`);
  return {
    schema,
    url: TEST_DATABASE_URL,
    serviceUrl: serviceUrl.toString(),
    admin,
    role: {
      ...ttl,
      creationStatements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${group}`,
        ...(options.actAsGroup ? [`ALTER ROLE "{{name}}" SET role = '${group}'`] : []),
      ],
    },
    async drop() {
      await admin(`DROP SCHEMA ${schema} CASCADE`);
      await admin(`DROP ROLE IF EXISTS ${group}`);
    },
  };
}

/**
 * Whether PostgresDb really connects as the credentials it is given. pg lets a connection
 * string's user override an explicit one, so a pool built the naive way silently keeps the URL's
 * user and every swap would be a no-op (trust auth accepts any password).
 */
export async function postgresDbHonoursCredentials(): Promise<boolean> {
  const db = new PostgresDb({ connectionString: TEST_DATABASE_URL, poolSize: 1, credentials: { user: 'vault_probe_no_such_role', password: 'x' } });
  try {
    const rows = await db.query<{ u: string }>('SELECT current_user AS u');
    return rows[0]?.u === 'vault_probe_no_such_role';
  } catch {
    return true; // refused as that user: the credentials were used
  } finally {
    await db.close().catch(() => undefined);
  }
}
