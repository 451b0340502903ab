import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalSecretsProvider, loadMasterKey } from '../../src/secrets/index.js';
import { migrate, MIGRATIONS, openStore } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';
import { startTestTokenService } from '../support/token-service.js';

for (const database of DATABASES) {
  describe(`migrations on ${database.name}`, () => {
    test('running migrate again on a migrated database is a no-op that keeps the data', async () => {
      const store = await database.open();
      try {
        await store.audit.append({ event: 'before-remigrate', outcome: 'success' });
        assert.deepEqual(await migrate(store.db), []);
        assert.deepEqual(await migrate(store.db), []);
        const versions = await store.db.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
        assert.deepEqual(versions.map((v) => v.version), MIGRATIONS.map((m) => m.version));
        assert.equal((await store.audit.list({ event: 'before-remigrate' })).length, 1);
      } finally {
        await store.close();
      }
    });

    test('concurrent migrate calls on one database apply nothing twice', async () => {
      const store = await database.open();
      try {
        const results = await Promise.all([migrate(store.db), migrate(store.db), migrate(store.db)]);
        assert.deepEqual(results, [[], [], []]);
      } finally {
        await store.close();
      }
    });
  });
}

describe('PGlite data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-pglite-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('data written before close is there after reopening the directory, and reopening does not re-run migrations', async () => {
    const first = await openStore({ dataDir: dir });
    const secretHash = randomBytes(32);
    await first.clients.create({
      clientId: 'persisted-client', name: 'survives restart', authMethod: 'client_secret_basic', secretHash, jwks: null,
      grantTypes: ['client_credentials'], scopes: ['read'], audiences: ['api'], accessTokenTtlSeconds: null, boundIdentity: null, disabled: false,
    });
    await first.revocations.add('epoch', '1234', null);
    const entry = await first.audit.append({ event: 'persisted', outcome: 'success' });
    await first.close();

    const second = await openStore({ dataDir: dir });
    try {
      const client = await second.clients.get('persisted-client');
      assert.equal(client!.name, 'survives restart');
      assert.ok(client!.secretHash!.equals(secretHash));
      assert.equal(await second.revocations.currentEpoch(), 1234);
      const entries = await second.audit.list();
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.hash, entry.hash);
      assert.deepEqual(await second.audit.verify(), { ok: true, entries: 1 });
      assert.deepEqual(await migrate(second.db), []);
      // The chain continues across the restart.
      const next = await second.audit.append({ event: 'after-restart', outcome: 'success' });
      assert.equal(next.prevHash, entry.hash);
    } finally {
      await second.close();
    }
  });
});

describe('token-service on a data directory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'auth-restart-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function start() {
    const secrets = new LocalSecretsProvider(loadMasterKey({ dataDir: dir }), dir);
    const store = await openStore({ dataDir: dir });
    // A fixed issuer: the port changes between starts, the issuer of a real deployment does not.
    const ts = await startTestTokenService({ store, secrets, env: { AUTH_ISSUER: 'https://auth.restart.test' } });
    return {
      ts,
      async close() {
        await ts.close();
        await store.close();
      },
    };
  }

  test('clients, secrets, refresh families, the admin token and signing keys survive a restart', async () => {
    const first = await start();
    const client = await first.ts.createClient({ client_id: 'survivor' });
    const pair = await first.ts.issuePair('user-1', client.client_id);
    const access = await first.ts.clientCredentials(client);
    const adminToken = first.ts.adminToken;
    const kids = ((await (await fetch(`${first.ts.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
    await first.close();

    const second = await start();
    try {
      assert.equal(second.ts.adminToken, adminToken, 'the generated admin token is kept');
      const jwks = ((await (await fetch(`${second.ts.url}/.well-known/jwks.json`)).json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
      assert.deepEqual(jwks, kids, 'no new key on restart');
      const introspected = (await (await second.ts.form('/oauth2/introspect', { token: access.access_token }, client)).json()) as { active: boolean };
      assert.equal(introspected.active, true, 'a token from before the restart still verifies');
      const refreshed = await second.ts.refresh(client, pair.refresh_token!);
      assert.equal(refreshed.status, 200, await refreshed.clone().text());
      assert.equal((await second.ts.clientCredentials(client)).token_type, 'Bearer', 'the client secret (hashed under the stored pepper) still authenticates');
      const verify = (await (await second.ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean; entries: number };
      assert.equal(verify.ok, true);
      assert.ok(verify.entries >= 1);
    } finally {
      await second.close();
    }
  });
});
