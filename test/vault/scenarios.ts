import assert from 'node:assert/strict';
import { SecretsUnavailableError, type VaultProvider } from '../../src/secrets/index.js';
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

/** A lease revoked from outside is replaced within seconds. */
export async function expectRevokedLeaseReplaced(provider: VaultProvider, revokeFromOutside: (leaseId: string) => Promise<void>): Promise<void> {
  const database = provider.database;
  assert.ok(database, 'a database role is configured');
  const first = database.current().user;
  await revokeFromOutside(database.leaseId()!);
  const since = Date.now();
  await eventually('new credentials', () => database.current().user !== first, 10_000);
  assert.ok(Date.now() - since < 10_000);
}
