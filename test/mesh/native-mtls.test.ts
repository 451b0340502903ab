import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDevelopmentCa } from '../../src/mesh/development-ca.js';
import { createPki, httpsGet, identity, startInternalService, tlsOf, type InternalService, type Pki } from './support.js';

describe('native mTLS on an internal listener', () => {
  let pki: Pki;
  let service: InternalService;
  const handshakeRefusals: string[] = [];

  before(async () => {
    pki = await createPki();
    await pki.issue('token-service');
    service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir });
    service.app.server.on('tlsClientError', (error: Error & { code?: string }) => handshakeRefusals.push(error.code ?? error.message));
  });
  after(async () => {
    await service.close();
    await pki.close();
  });

  it('refuses a client without a certificate in the TLS handshake', async () => {
    const before = handshakeRefusals.length;
    await assert.rejects(httpsGet(service.port, '/whoami', await tlsOf({ ca: `${pki.dir}/ca.crt` })));
    assert.equal(handshakeRefusals.length, before + 1);
    assert.match(handshakeRefusals.at(-1)!, /PEER_DID_NOT_RETURN_A_CERTIFICATE|CERTIFICATE/i);
    assert.ok(service.lines.some((l) => l.msg === 'mesh: TLS handshake refused' && l.reason === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'));
    const failures = await service.metrics.registry.getSingleMetricAsString('mesh_tls_handshake_failures_total');
    assert.ok(failures.includes('reason="ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE"'));
  });

  it('refuses a certificate issued by another CA in the TLS handshake', async () => {
    const otherCa = await createDevelopmentCa({ name: 'someone else' });
    // Same SPIFFE ID as a legitimate caller: only the issuer differs.
    const forged = await pki.issue('auth-edge-service', { name: 'forged-edge', ca: otherCa });
    const before = handshakeRefusals.length;
    await assert.rejects(httpsGet(service.port, '/introspect', await tlsOf(forged)));
    assert.equal(handshakeRefusals.length, before + 1);
    assert.equal(service.lines.filter((l) => l.msg === 'mesh: TLS handshake refused').at(-1)?.reason, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('answers 403 identity_not_allowed to a valid certificate whose identity is not on the allowlist', async () => {
    const ctl = await pki.issue('authctl');
    const result = await httpsGet(service.port, '/introspect', await tlsOf(ctl));
    assert.equal(result.status, 403);
    assert.equal(result.body.code, 'identity_not_allowed');
    assert.match(String(result.body.detail), /spiffe:\/\/cluster\.local\/ns\/auth-platform\/sa\/authctl/);
    const refusals = await service.metrics.registry.getSingleMetricAsString('mesh_identity_refusals_total');
    assert.match(refusals, /code="identity_not_allowed"[^\n]* 1/);
  });

  it('admits an allowlisted identity and exposes it as request.callerIdentity', async () => {
    const edge = await pki.issue('auth-edge-service');
    const result = await httpsGet(service.port, '/introspect', await tlsOf(edge));
    assert.equal(result.status, 200);
    assert.equal(result.body.caller, identity('auth-edge-service').spiffeId);
  });

  it('ignores an l5d-client-id header: the certificate alone says who calls', async () => {
    const ctl = await pki.issue('authctl');
    const claim = 'auth-edge-service.auth-platform.serviceaccount.identity.linkerd.cluster.local';
    const whoami = await httpsGet(service.port, '/whoami', await tlsOf(ctl), { 'l5d-client-id': claim });
    assert.equal(whoami.body.caller, identity('authctl').spiffeId);
    assert.equal(whoami.body.l5d, null);
    const guarded = await httpsGet(service.port, '/introspect', await tlsOf(ctl), { 'l5d-client-id': claim });
    assert.equal(guarded.status, 403);
  });

  it('refuses an allowlisted name from another trust domain, even when our CA signed it', async () => {
    const foreign = await pki.issue('auth-edge-service', { name: 'foreign-edge', trustDomain: 'evil' });
    const result = await httpsGet(service.port, '/introspect', await tlsOf(foreign));
    assert.equal(result.status, 403);
    assert.equal(result.body.code, 'identity_not_allowed');
  });

  it('reports the certificate in /readyz', async () => {
    const report = await service.readiness.report();
    assert.equal(report.dependencies.mesh_certificate?.status, 'up');
    assert.equal(report.dependencies.mesh_certificate?.spiffeId, identity('token-service').spiffeId);
  });
});

describe('native TLS with optional client certificates (a listener that also serves callers outside the mesh)', () => {
  let pki: Pki;
  let service: InternalService;
  before(async () => {
    pki = await createPki();
    await pki.issue('token-service');
    service = await startInternalService({ MESH: 'native', MESH_CERT_DIR: pki.dir }, 'token-service', 'optional');
  });
  after(async () => {
    await service.close();
    await pki.close();
  });

  it('serves a caller without a certificate, with no identity, and still guards internal endpoints', async () => {
    const tls = await tlsOf({ ca: `${pki.dir}/ca.crt` });
    assert.equal((await httpsGet(service.port, '/whoami', tls)).body.caller, null);
    const guarded = await httpsGet(service.port, '/introspect', tls);
    assert.equal(guarded.status, 401);
    assert.equal(guarded.body.code, 'identity_required');
  });

  it('gives no identity for a certificate from another CA, whatever SPIFFE ID it claims', async () => {
    const forged = await pki.issue('auth-edge-service', { name: 'forged-edge', ca: await createDevelopmentCa({ name: 'someone else' }) });
    const result = await httpsGet(service.port, '/whoami', await tlsOf(forged));
    assert.equal(result.status, 200);
    assert.equal(result.body.caller, null);
    assert.equal((await httpsGet(service.port, '/introspect', await tlsOf(forged))).status, 401);
  });

  it('identifies a caller with a valid certificate', async () => {
    const edge = await pki.issue('auth-edge-service');
    assert.equal((await httpsGet(service.port, '/whoami', await tlsOf(edge))).body.caller, identity('auth-edge-service').spiffeId);
  });
});
