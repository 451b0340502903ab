import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDevelopmentCertificates } from '../../src/mesh/index.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';
import { runAuthctl } from '../support/authctl.js';

describe('authctl against the admin API', () => {
  let ts: TestTokenService;
  let env: Record<string, string>;
  before(async () => {
    ts = await startTestTokenService();
    env = { AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_URL: ts.internalUrl, AUTHCTL_EDGE_URL: 'http://127.0.0.1:9' };
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

  test('keys rotate --retire-now leaves one active key and retires the rest', async () => {
    const before = JSON.parse((await runAuthctl(env, 'keys', 'list', '--json')).stdout) as { keys: Array<{ kid: string }> };
    const rotated = await runAuthctl(env, 'keys', 'rotate', '--retire-now', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const result = JSON.parse(rotated.stdout) as { kid: string; retired: string[] };
    assert.deepEqual(result.retired.sort(), before.keys.map((k) => k.kid).sort());
    const after = JSON.parse((await runAuthctl(env, 'keys', 'list', '--json')).stdout) as { keys: Array<{ kid: string; state: string }> };
    assert.deepEqual(after.keys.map((k) => [k.kid, k.state]), [[result.kid, 'active']]);
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

  test('audit verify exits 0 on an intact log and lists the actions taken', async () => {
    const verified = await runAuthctl(env, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /intact/);
    const listed = JSON.parse((await runAuthctl(env, 'audit', 'list', '--event', 'key_rotated', '--json')).stdout) as { entries: unknown[] };
    assert.ok(listed.entries.length >= 1);
  });

  test('status exits 1 when a service is unreachable, and reports the token-service dependencies', async () => {
    const status = await runAuthctl(env, 'status', '--json');
    assert.equal(status.code, 1);
    const report = JSON.parse(status.stdout) as Record<string, { status: string; dependencies?: Record<string, unknown> }>;
    assert.equal(report['token-service']!.status, 'ready');
    assert.ok(report['token-service']!.dependencies!.signing_key);
    assert.equal(report['auth-edge-service']!.status, 'unreachable');
  });

  test('a wrong admin token is refused with the API code, not a stack trace', async () => {
    const result = await runAuthctl({ ...env, AUTH_ADMIN_TOKEN: 'x'.repeat(43) }, 'keys', 'list');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admin_unauthorized/);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
  });
});

describe('authctl under native mTLS', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authctl-mtls-'));
  let ts: TestTokenService;
  before(async () => {
    await writeDevelopmentCertificates({ dir, trustDomain: 'cluster.local', namespace: 'auth-platform', validityDays: 1, serviceAccounts: ['token-service', 'auth-edge-service', 'authctl'] });
    ts = await startTestTokenService({ env: { MESH: 'native', MESH_CERT_DIR: dir } });
  });
  after(async () => {
    await ts.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('presents its own certificate to the internal listener', async () => {
    const result = await runAuthctl({ AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_URL: ts.internalUrl, MESH: 'native', MESH_CERT_DIR: dir }, 'keys', 'list', '--json');
    assert.equal(result.code, 0, result.stderr);
    assert.equal((JSON.parse(result.stdout) as { keys: unknown[] }).keys.length, 1);
  });
});
