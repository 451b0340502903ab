import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { writeDevelopmentCertificates } from '../../src/mesh/index.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';
import { runAuthctl } from '../support/authctl.js';

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
