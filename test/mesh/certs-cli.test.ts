import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { checkCertificates, clientTlsOptions, loadCertificateMaterial, writeDevelopmentCertificates } from '../../src/mesh/index.js';
import { createPki, startInternalService } from './support.js';
import { entrypoint } from '../support/entrypoints.js';
import { runAuthctl } from '../support/authctl.js';

const DAY_MS = 86_400_000;
const SERVICES = ['token-service', 'auth-edge-service', 'authctl'];

describe('authctl certs issue', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certs-issue-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const issue = (newCa = false) =>
    writeDevelopmentCertificates({ dir, trustDomain: 'cluster.local', namespace: 'auth-platform', serviceAccounts: SERVICES, validityDays: 90, newCa });

  it('writes a CA and one certificate per service, keys readable by the owner only, each pair usable for mTLS', async () => {
    const written = await issue();
    assert.deepEqual(written.issued.map((i) => i.spiffeId), SERVICES.map((sa) => `spiffe://cluster.local/ns/auth-platform/sa/${sa}`));
    for (const key of [...written.issued.map((i) => i.keyFile), join(dir, 'ca.key')]) {
      assert.equal((await stat(key)).mode & 0o777, 0o600, key);
    }
    for (const issued of written.issued) {
      const material = await loadCertificateMaterial({ cert: issued.certFile, key: issued.keyFile, ca: written.ca });
      assert.equal(material.identity.spiffeId, issued.spiffeId);
      assert.match(material.certificate.subjectAltName ?? '', /DNS:localhost/);
      assert.match(material.certificate.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
      assert.equal(material.certificate.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    }
  });

  it('reuses the CA on a second run, so services keep trusting each other, unless told to replace it', async () => {
    const ca = await readFile(join(dir, 'ca.crt'), 'utf8');
    await issue();
    assert.equal(await readFile(join(dir, 'ca.crt'), 'utf8'), ca);
    await issue(true);
    assert.notEqual(await readFile(join(dir, 'ca.crt'), 'utf8'), ca);
  });

  it('exits non-zero from `authctl certs check` when a certificate expires within --within', () => {
    const run = (within: string) =>
      spawnSync(process.execPath, [...entrypoint('ctl/main'), 'certs', 'check', '--within', within], {
        env: { ...process.env, MESH_CERT_DIR: dir },
        encoding: 'utf8',
      });
    const failing = run('100d');
    assert.equal(failing.status, 1, failing.stderr);
    assert.match(failing.stdout, /token-service\.crt .* expires within 100d/);
    const passing = run('7d');
    assert.equal(passing.status, 0, passing.stderr);
    assert.match(passing.stdout, /spiffe:\/\/cluster\.local\/ns\/auth-platform\/sa\/authctl/);
  });

  it('prints one JSON object per certificate for --json, written after the command or before it', async () => {
    for (const args of [['certs', 'check', '--json'], ['--json', 'certs', 'check']]) {
      const result = await runAuthctl({ MESH_CERT_DIR: dir }, ...args);
      assert.equal(result.code, 0, result.stderr);
      const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { spiffeId?: string });
      assert.ok(lines.some((line) => line.spiffeId === 'spiffe://cluster.local/ns/auth-platform/sa/authctl'), `authctl ${args.join(' ')}:\n${result.stdout}`);
    }
  });
});

describe('authctl certs check against running services', () => {
  it('reports the certificate a service presents, connecting with our client certificate', async () => {
    const pki = await createPki();
    await pki.issue('token-service');
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    try {
      const clientTls = clientTlsOptions(await loadCertificateMaterial(await pki.issue('authctl')));
      const result = await checkCertificates({ files: [], endpoints: [`127.0.0.1:${service.port}`], withinMs: 7 * DAY_MS, clientTls });
      assert.ok(result.ok);
      assert.equal(result.lines[0]?.spiffeId, 'spiffe://cluster.local/ns/auth-platform/sa/token-service');
      assert.equal(result.lines[0]?.verification, 'verified');
      assert.equal(result.lines[0]?.daysLeft, 89);

      const soon = await checkCertificates({ files: [], endpoints: [`127.0.0.1:${service.port}`], withinMs: 100 * DAY_MS, clientTls });
      assert.ok(!soon.ok);
      assert.equal(soon.lines[0]?.problem, 'expires within 100d');

      const unreachable = await checkCertificates({ files: [], endpoints: ['127.0.0.1:1', 'no-port'], withinMs: DAY_MS, clientTls });
      assert.ok(!unreachable.ok);
      assert.equal(unreachable.lines.length, 2);
    } finally {
      await service.close();
      await pki.close();
    }
  });

  it('fails a service presenting an expired certificate', async () => {
    const pki = await createPki();
    await pki.issue('token-service', { validity: { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) } });
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    try {
      const clientTls = clientTlsOptions(await loadCertificateMaterial(await pki.issue('authctl')));
      const result = await checkCertificates({ files: [], endpoints: [`127.0.0.1:${service.port}`], withinMs: DAY_MS, clientTls });
      assert.ok(!result.ok);
      assert.equal(result.lines[0]?.problem, 'expired');
      assert.equal(result.lines[0]?.daysLeft, -1);
    } finally {
      await service.close();
      await pki.close();
    }
  });
});
