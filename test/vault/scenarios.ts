import assert from 'node:assert/strict';
import { SecretsUnavailableError, type VaultProvider } from '../../src/secrets/index.js';
import { PostgresDb } from '../../src/store/index.js';
import { eventually, sleep } from './support.js';

/**
 * The scenarios as functions of a provider, so the stand-in tests (test/vault/) and the
 * live suite against a real Vault or OpenBao (test/vault-live/) run the very same steps.
 */

export const SIGNING_KEY = { kid: 'k1', alg: 'ES256', privateJwk: '{"kty":"EC","d":"never-logged"}' };

export interface ReadLoad {
  stop(): Promise<{ ok: number; failed: number }>;
}

/** What the signing path does on every token: read the key, again and again. */
export function startReadLoad(provider: VaultProvider, path: string, expected: Record<string, string>): ReadLoad {
  let running = true;
  const counts = { ok: 0, failed: 0 };
  const loop = (async () => {
    while (running) {
      try {
        assert.deepEqual(await provider.read(path), expected);
        counts.ok += 1;
      } catch {
        counts.failed += 1;
      }
      await sleep(5);
    }
  })();
  return { stop: async () => { running = false; await loop; return counts; } };
}

/** During the grace: degraded with the grace left, no read failed. After it: down, reads throw secrets_unavailable. */
export async function expectGraceThenDown(provider: VaultProvider, load: ReadLoad, graceMs: number, path: string): Promise<void> {
  await eventually('degraded status', () => provider.status().status === 'degraded', graceMs);
  const degraded = provider.status();
  assert.ok(typeof degraded.graceRemainingMs === 'number' && degraded.graceRemainingMs > 0 && degraded.graceRemainingMs <= graceMs);
  assert.match(String(degraded.detail), /serving cached secrets/);
  const during = await load.stop();
  assert.equal(during.failed, 0, 'no read fails during the grace');
  assert.ok(during.ok > 0);

  await eventually('down after the grace', () => provider.status().status === 'down', graceMs + 3_000);
  const error = await provider.read(path).catch((e: unknown) => e);
  assert.ok(error instanceof SecretsUnavailableError, 'reads throw after the grace');
  assert.equal(error.code, 'secrets_unavailable');
}

/** Back within 5 s of Vault being back, without a restart, and the log says so. */
export async function expectRestored(provider: VaultProvider, logLines: readonly string[], path: string, expected: Record<string, string>): Promise<void> {
  const since = Date.now();
  await eventually('restored', () => provider.status().status === 'up', 5_000);
  assert.ok(Date.now() - since <= 5_000);
  assert.deepEqual(await provider.read(path), expected);
  assert.ok(logLines.some((l) => l.includes('"msg":"vault: connection restored"')), 'logs vault: connection restored');
}

/** Signing keys written across a rotation all read back: the old kid next to the new one. */
export async function expectKeysReadableAcrossRotation(provider: VaultProvider, prefix: string): Promise<void> {
  await provider.write(`${prefix}/k1`, { kid: 'k1', alg: 'ES256', privateJwk: 'old' });
  await provider.write(`${prefix}/k2`, { kid: 'k2', alg: 'ES256', privateJwk: 'new' });
  await provider.write(`${prefix}/index`, { active: 'k2', published: 'k1,k2' });
  assert.equal((await provider.read(`${prefix}/k1`))?.privateJwk, 'old');
  assert.equal((await provider.read(`${prefix}/k2`))?.privateJwk, 'new');
  assert.equal((await provider.read(`${prefix}/index`))?.active, 'k2');
}

/**
 * A lease revoked from outside (`vault lease revoke`: the role is dropped, its sessions end) while
 * a loop of queries runs on a pool wired as token-service wires it: no query fails, and the loop
 * runs as the new user within seconds.
 */
export async function expectRevokedLeaseReplaced(
  provider: VaultProvider,
  databaseUrl: string,
  revokeFromOutside: (leaseId: string) => Promise<void>,
): Promise<void> {
  const database = provider.database;
  assert.ok(database, 'a database role is configured');
  const db = new PostgresDb({
    connectionString: databaseUrl, poolSize: 4, credentials: database.current(),
    onCredentialsRejected: (user) => database.replaceRejected(user),
  });
  const unsubscribe = database.onCredentials((credentials) => db.swapCredentials(credentials));
  try {
    const first = database.current().user;
    const load = startQueryLoop(db);
    await eventually('queries running', () => load.seen.has(first));
    await revokeFromOutside(database.leaseId()!);
    await eventually('new credentials', () => database.current().user !== first, 10_000);
    await eventually('queries run as the new user', () => load.seen.has(database.current().user), 10_000);
    const counts = await load.stop();
    assert.deepEqual(counts.errors, [], `${counts.errors.length} of ${counts.ok + counts.errors.length} queries failed`);
  } finally {
    unsubscribe();
    await db.close();
  }
}

/** Reads and read-only transactions, back to back, noting the session user each ran as. */
function startQueryLoop(db: PostgresDb): { seen: Set<string>; stop(): Promise<{ ok: number; errors: string[] }> } {
  let running = true;
  const seen = new Set<string>();
  const counts = { ok: 0, errors: [] as string[] };
  const loop = (async () => {
    while (running) {
      try {
        const [read] = await db.query<{ u: string }>('SELECT session_user AS u');
        const [inTransaction] = await db.transaction((tx) => tx.query<{ u: string }>('SELECT session_user AS u'));
        seen.add(read!.u).add(inTransaction!.u);
        counts.ok += 2;
      } catch (error) {
        counts.errors.push(error instanceof Error ? error.message : String(error));
      }
      await sleep(2);
    }
  })();
  return { seen, stop: async () => { running = false; await loop; return counts; } };
}
