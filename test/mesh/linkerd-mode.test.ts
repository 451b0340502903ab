import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { httpGet, identity, startInternalService, type InternalService } from './support.js';

const EDGE = 'auth-edge-service.auth-platform.serviceaccount.identity.linkerd.cluster.local';
const CTL = 'authctl.auth-platform.serviceaccount.identity.linkerd.cluster.local';

describe('MESH=linkerd: the caller identity is the l5d-client-id header', () => {
  let service: InternalService;
  before(async () => {
    service = await startInternalService({ MESH: 'linkerd' });
  });
  after(() => service.close());

  it('honours l5d-client-id as the caller identity', async () => {
    const result = await httpGet(service.port, '/whoami', { 'l5d-client-id': EDGE });
    assert.equal(result.body.caller, identity('auth-edge-service').spiffeId);
  });

  it('admits an allowlisted workload and refuses another with 403 identity_not_allowed', async () => {
    assert.equal((await httpGet(service.port, '/introspect', { 'l5d-client-id': EDGE })).status, 200);
    const refused = await httpGet(service.port, '/introspect', { 'l5d-client-id': CTL });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'identity_not_allowed');
  });

  it('answers 401 identity_required without the header, or with one that is not a Linkerd identity', async () => {
    const attempts: Array<Record<string, string>> = [
      {},
      { 'l5d-client-id': identity('auth-edge-service').spiffeId },
      { 'l5d-client-id': EDGE.toUpperCase() },
      { 'l5d-client-id': `${EDGE}, ${CTL}` },
    ];
    for (const headers of attempts) {
      const result = await httpGet(service.port, '/introspect', headers);
      assert.equal(result.status, 401, JSON.stringify(headers));
      assert.equal(result.body.code, 'identity_required');
    }
  });
});

describe('without MESH=linkerd the l5d-client-id header is ignored', () => {
  let service: InternalService;
  before(async () => {
    service = await startInternalService({ MESH: 'none' });
  });
  after(() => service.close());

  it('gives no caller identity and hides the header from handlers', async () => {
    const result = await httpGet(service.port, '/whoami', { 'l5d-client-id': EDGE });
    assert.equal(result.body.caller, null);
    assert.equal(result.body.l5d, null);
  });

  it('lets the header grant nothing: an internal endpoint sees no identity (loopback is what admits this caller)', async () => {
    const result = await httpGet(service.port, '/introspect', { 'l5d-client-id': EDGE });
    assert.equal(result.status, 200);
    assert.equal(result.body.caller, null);
  });
});
