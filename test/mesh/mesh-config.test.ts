import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../src/platform/index.js';
import { meshConfig } from './support.js';

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
