import assert from 'node:assert/strict';
import { mkdir, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { issueServiceCertificate } from '../../src/mesh/development-ca.js';
import { CertificateSource, createMeshAgent } from '../../src/mesh/index.js';
import { captureLogs, createPki, httpsGet, identity, startInternalService, tlsOf, type InternalService, type Pki } from './support.js';

/** Upper bound on calls while waiting for a reload to show; a bound, not a timing assertion. */
const MAX_CALLS = 20_000;

/**
 * The layout a kubelet secret volume (cert-manager) gives: the visible files are symlinks through
 * `..data`, and an update atomically renames a new `..data` symlink over the old one.
 */
async function projectedVolume(root: string, version: string, files: { cert: string; key: string; ca: string }) {
  const dir = join(root, `..${version}`);
  await mkdir(dir);
  await writeFile(join(dir, 'tls.crt'), files.cert);
  await writeFile(join(dir, 'tls.key'), files.key, { mode: 0o600 });
  await writeFile(join(dir, 'ca.crt'), files.ca);
  await symlink(`..${version}`, join(root, '..data_tmp'));
  await rename(join(root, '..data_tmp'), join(root, '..data'));
}

async function issuePem(pki: Pki, serviceAccount: string) {
  const issued = await issueServiceCertificate(pki.ca, { identity: identity(serviceAccount), dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  return { cert: issued.certPem, key: issued.keyPem, ca: pki.ca.certPem };
}

describe('certificate reload', () => {
  let pki: Pki;
  let volume: string;
  let service: InternalService;
  let edgeTls: ConnectionOptions;

  before(async () => {
    pki = await createPki();
    volume = join(pki.dir, 'volume');
    await mkdir(volume);
    await projectedVolume(volume, 'v1', await issuePem(pki, 'token-service'));
    for (const name of ['tls.crt', 'tls.key', 'ca.crt']) await symlink(join('..data', name), join(volume, name));
    service = await startInternalService({
      MESH: 'native',
      MESH_CERT_FILE: join(volume, 'tls.crt'),
      MESH_KEY_FILE: join(volume, 'tls.key'),
      MESH_CA_FILE: join(volume, 'ca.crt'),
    });
    const edge = await pki.issue('auth-edge-service');
    edgeTls = await tlsOf(edge);
  });
  after(async () => {
    await service.close();
    await pki.close();
  });

  it('serves a certificate swapped in by cert-manager to a client calling in a loop, with zero failed requests', async () => {
    const oldSerial = service.mesh.certificates!.current.certificate.serialNumber;
    let failures = 0;
    let calls = 0;
    const served = new Set<string>();
    const loop = (async () => {
      while (calls < MAX_CALLS) {
        calls++;
        try {
          const result = await httpsGet(service.port, '/introspect', edgeTls);
          if (result.status !== 200) failures++;
          served.add(result.serverSerial);
          if (result.serverSerial !== oldSerial) return;
        } catch {
          failures++;
        }
      }
    })();
    await projectedVolume(volume, 'v2', await issuePem(pki, 'token-service'));
    await loop;
    const newSerial = service.mesh.certificates!.current.certificate.serialNumber;
    assert.notEqual(newSerial, oldSerial);
    assert.ok(served.has(oldSerial), 'the old certificate was served before the swap');
    assert.ok(served.has(newSerial), 'the new certificate is served after the swap');
    assert.equal(failures, 0);
    assert.ok(service.lines.some((l) => l.msg === 'mesh: certificate reloaded' && l.serial === newSerial));
  });

  it('keeps serving the current pair when only the key has been rewritten, then takes the complete new pair', async () => {
    const source = service.mesh.certificates!;
    const oldSerial = source.current.certificate.serialNumber;
    const next = await issuePem(pki, 'token-service');
    // Vault Agent style: files rewritten one by one, in place (here: the key first).
    const data = join(volume, '..data');
    await writeFile(join(data, 'tls.key'), next.key);
    assert.equal(await source.reload(), 'rejected');
    const during = await httpsGet(service.port, '/introspect', edgeTls);
    assert.equal(during.status, 200);
    assert.equal(during.serverSerial, oldSerial);
    assert.ok(service.lines.some((l) => l.msg === 'mesh: new certificate files rejected; still serving the previous certificate' && String(l.reason).includes('does not match')));

    await writeFile(join(data, 'tls.crt'), next.cert);
    assert.notEqual(await source.reload(), 'rejected');
    const afterwards = await httpsGet(service.port, '/introspect', edgeTls);
    assert.equal(afterwards.status, 200);
    assert.notEqual(afterwards.serverSerial, oldSerial);
    assert.equal(afterwards.serverSerial, source.current.certificate.serialNumber);
    assert.ok(!JSON.stringify(service.lines).includes('PRIVATE KEY'), 'no key material is logged');
  });

  it('presents a reloaded client certificate on new connections from the mesh agent', async () => {
    const clientDir = join(pki.dir, 'edge-volume');
    await mkdir(clientDir);
    await projectedVolume(clientDir, 'v1', await issuePem(pki, 'auth-edge-service'));
    const files = { cert: join(clientDir, '..data', 'tls.crt'), key: join(clientDir, '..data', 'tls.key'), ca: join(clientDir, '..data', 'ca.crt') };
    const { logger } = captureLogs();
    const source = await CertificateSource.open(files, { logger });
    const agent = createMeshAgent(source, { expectedServer: service.mesh.workloads('token-service') });
    try {
      const call = async () => {
        const response = await request(`https://127.0.0.1:${service.port}/whoami`, { dispatcher: agent, reset: true });
        return (await response.body.json()) as { caller: string; clientSerial: string };
      };
      const first = await call();
      assert.equal(first.caller, identity('auth-edge-service').spiffeId);
      assert.equal(first.clientSerial, source.current.certificate.serialNumber);

      await projectedVolume(clientDir, 'v2', await issuePem(pki, 'auth-edge-service'));
      assert.equal(await source.reload(), 'reloaded');
      const second = await call();
      assert.equal(second.clientSerial, source.current.certificate.serialNumber);
      assert.notEqual(second.clientSerial, first.clientSerial);
    } finally {
      await agent.close();
      source.close();
    }
  });

  it('refuses to talk to a server whose identity is not the expected one', async () => {
    const { logger } = captureLogs();
    const edge = await pki.issue('auth-edge-service');
    const source = await CertificateSource.open(edge, { logger });
    const agent = createMeshAgent(source, { expectedServer: service.mesh.workloads('some-other-service') });
    try {
      await assert.rejects(request(`https://127.0.0.1:${service.port}/whoami`, { dispatcher: agent }), /presents identity spiffe:\/\/cluster\.local\/ns\/auth-platform\/sa\/token-service/);
    } finally {
      await agent.close();
      source.close();
    }
  });
});
