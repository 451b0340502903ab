import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPki, httpsGet, startInternalService, tlsOf, type Pki } from './support.js';

const DAY_MS = 86_400_000;

describe('certificate expiry', () => {
  let pki: Pki;
  before(async () => {
    pki = await createPki();
  });
  after(async () => {
    await pki.close();
  });

  it('an expired server certificate fails the handshake, is logged naming the file and its expiry, and makes /readyz not ready', async () => {
    const notAfter = new Date(Math.floor((Date.now() - DAY_MS) / 1000) * 1000);
    const files = await pki.issue('token-service', { validity: { notBefore: new Date(notAfter.getTime() - 30 * DAY_MS), notAfter } });
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    try {
      const edge = await pki.issue('auth-edge-service');
      await assert.rejects(httpsGet(service.port, '/introspect', await tlsOf(edge)), { code: 'CERT_HAS_EXPIRED' });

      const line = service.lines.find((l) => l.level === 50 && String(l.msg).includes('expired'));
      assert.ok(line, 'an error line reports the expired certificate');
      assert.equal(line.file, files.cert);
      assert.equal(line.notAfter, notAfter.toISOString());
      assert.ok(String(line.msg).includes(files.cert) && String(line.msg).includes(notAfter.toISOString()));

      const report = await service.readiness.report();
      assert.equal(report.status, 'not_ready');
      assert.equal(report.dependencies.mesh_certificate?.status, 'down');
      const gauge = await service.metrics.registry.getSingleMetricAsString('mesh_certificate_expiry_timestamp_seconds');
      assert.ok(gauge.includes(` ${notAfter.getTime() / 1000}`));
    } finally {
      await service.close();
    }
  });

  it('refuses an expired client certificate in the handshake', async () => {
    await pki.issue('token-service');
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    let refused = 0;
    service.app.server.on('tlsClientError', () => refused++);
    try {
      const stale = await pki.issue('auth-edge-service', { name: 'stale-edge', validity: { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) } });
      await assert.rejects(httpsGet(service.port, '/introspect', await tlsOf(stale)));
      assert.equal(refused, 1);
      assert.ok(service.lines.some((l) => l.msg === 'mesh: TLS handshake refused' && l.reason === 'CERT_HAS_EXPIRED'));
    } finally {
      await service.close();
    }
  });

  it('a certificate inside the warning window degrades readiness and is logged once as expiring', async () => {
    const files = await pki.issue('token-service', { validity: { notAfter: new Date(Date.now() + 2 * DAY_MS) } });
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir, MESH_CERT_EXPIRY_WARNING: '7d' });
    try {
      const report = await service.readiness.report();
      assert.equal(report.status, 'degraded');
      assert.equal(report.dependencies.mesh_certificate?.status, 'degraded');
      const warnings = service.lines.filter((l) => l.level === 40 && String(l.msg).includes('expires at'));
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.file, files.cert);
      assert.equal(warnings[0]!.daysLeft, 1);
    } finally {
      await service.close();
    }
  });

  it('does not swap in a replacement that has already expired', async () => {
    await pki.issue('token-service');
    const service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    try {
      const serving = service.mesh.certificates!.current.certificate.serialNumber;
      await pki.issue('token-service', { validity: { notBefore: new Date(Date.now() - 10 * DAY_MS), notAfter: new Date(Date.now() - DAY_MS) } });
      assert.equal(await service.mesh.certificates!.reload(), 'rejected');
      assert.equal(service.mesh.certificates!.current.certificate.serialNumber, serving);
      assert.ok(service.lines.some((l) => String(l.reason).includes('already expired')));
    } finally {
      await service.close();
    }
  });
});
