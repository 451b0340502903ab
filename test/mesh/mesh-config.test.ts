import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CertificateMaterialError } from '../../src/mesh/index.js';
import { ConfigError } from '../../src/platform/index.js';
import { createPki, meshConfig, startInternalService } from './support.js';

describe('MESH_* configuration', () => {
  it('defaults to no mesh, with allowlists for the edge and authctl in the configured trust domain', () => {
    const config = meshConfig({ MESH_TRUST_DOMAIN: 'prod.example.org' });
    assert.equal(config.mode, 'none');
    assert.deepEqual(config.allow.introspect, ['spiffe://prod.example.org/ns/auth-platform/sa/auth-edge-service']);
    assert.deepEqual(config.allow.revocations, ['spiffe://prod.example.org/ns/auth-platform/sa/auth-edge-service']);
    assert.deepEqual(config.allow.admin, ['spiffe://prod.example.org/ns/auth-platform/sa/authctl']);
    assert.deepEqual(config.allow.issue, []);
    assert.equal(config.certExpiryWarningMs, 7 * 86_400_000);
  });

  it('reads comma-separated allowlists in either form, and none as an empty list', () => {
    const config = meshConfig({
      MESH_ALLOW_ISSUE: 'spiffe://cluster.local/ns/billing/sa/*, worker.jobs.serviceaccount.identity.linkerd.cluster.local',
      MESH_ALLOW_ADMIN: 'none',
    });
    assert.deepEqual(config.allow.issue, ['spiffe://cluster.local/ns/billing/sa/*', 'worker.jobs.serviceaccount.identity.linkerd.cluster.local']);
    assert.deepEqual(config.allow.admin, []);
  });

  it('names every bad variable', () => {
    const error = (() => {
      try {
        meshConfig({
          MESH: 'istio',
          MESH_TRUST_DOMAIN: 'Cluster.Local',
          MESH_ALLOW_INTROSPECT: 'spiffe://cluster.local/ns/auth-platform/sa/../sa/authctl',
          MESH_CERT_EXPIRY_WARNING: 'soon',
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(error instanceof ConfigError);
    assert.deepEqual(error.problems.map((p) => p.variable).sort(), ['MESH', 'MESH_ALLOW_INTROSPECT', 'MESH_CERT_EXPIRY_WARNING', 'MESH_TRUST_DOMAIN']);
  });
});

describe('MESH=native at start', () => {
  it('fails naming the file when a certificate file is missing or does not match', async () => {
    const pki = await createPki();
    try {
      await assert.rejects(startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir }), (error: Error) => {
        assert.ok(error instanceof CertificateMaterialError);
        assert.equal(error.file, join(pki.dir, 'token-service.crt'));
        assert.match(error.message, /cannot be read \(ENOENT\)/);
        return true;
      });
      const edge = await pki.issue('auth-edge-service');
      await pki.issue('token-service');
      await copyFile(edge.key, join(pki.dir, 'token-service.key'));
      await assert.rejects(startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir }), (error: Error) => {
        assert.ok(error instanceof CertificateMaterialError);
        assert.equal(error.file, join(pki.dir, 'token-service.key'));
        assert.match(error.message, /does not match the certificate/);
        assert.doesNotMatch(error.message, /PRIVATE KEY/);
        return true;
      });
    } finally {
      await pki.close();
    }
  });
});
