import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestTokenService } from '../support/token-service.js';
import { runAuthctl, startAuthctlTarget } from '../support/authctl.js';

describe('authctl clients and revoke all against the admin API', () => {
  let ts: TestTokenService;
  let env: Record<string, string>;
  before(async () => {
    ({ ts, env } = await startAuthctlTarget());
  });
  after(() => ts.close());

  test('clients create prints the secret once; show never does; the secret works', async () => {
    const created = await runAuthctl(env, 'clients', 'create', 'billing', '--scopes', 'read,write', '--audiences', 'api', '--json');
    assert.equal(created.code, 0, created.stderr);
    const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string; scopes: string[] };
    assert.deepEqual(client.scopes, ['read', 'write']);
    const shown = await runAuthctl(env, 'clients', 'show', client.client_id, '--json');
    assert.equal((JSON.parse(shown.stdout) as Record<string, unknown>).client_secret, undefined);
    assert.equal((await ts.clientCredentials(client)).token_type, 'Bearer');
  });

  test('clients rotate-secret: the old secret stops working, the new one works', async () => {
    const client = JSON.parse((await runAuthctl(env, 'clients', 'create', 'svc', '--scopes', 'read', '--audiences', 'api', '--json')).stdout) as { client_id: string; client_secret: string };
    const rotated = JSON.parse((await runAuthctl(env, 'clients', 'rotate-secret', client.client_id, '--json')).stdout) as { client_secret: string };
    assert.notEqual(rotated.client_secret, client.client_secret);
    assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, client)).status, 401);
    assert.equal((await ts.form('/oauth2/token', { grant_type: 'client_credentials' }, { ...client, client_secret: rotated.client_secret })).status, 200);
  });

  test('revoke all refuses without --yes, and with it revokes earlier tokens', async () => {
    const client = await ts.createClient();
    const token = (await ts.clientCredentials(client)).access_token;
    const refused = await runAuthctl(env, 'revoke', 'all');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /--yes/);
    assert.equal((await runAuthctl(env, 'revoke', 'all', '--yes')).code, 0);
    const introspection = (await (await ts.form('/oauth2/introspect', { token }, client)).json()) as { active: boolean };
    assert.equal(introspection.active, false);
  });

});
