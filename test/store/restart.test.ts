import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalSecretsProvider, loadMasterKey } from '../../src/secrets/index.js';
import { openStore } from '../../src/store/index.js';
import { startTestTokenService } from '../support/token-service.js';

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
