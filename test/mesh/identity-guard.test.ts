import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpProblem, Registry, counter } from '../../src/platform/index.js';
import { IdentityAllowlist, callerMatchesBinding, identityGuard, type ServiceIdentity } from '../../src/mesh/index.js';
import { identity } from './support.js';

function fakeRequest(remoteAddress: string, callerIdentity: ServiceIdentity | null = null): FastifyRequest {
  const log = { warn() {} };
  return { callerIdentity, raw: { socket: { remoteAddress } }, log, routeOptions: { url: '/internal' } } as unknown as FastifyRequest;
}

async function outcome(guard: ReturnType<ReturnType<typeof identityGuard>>, request: FastifyRequest): Promise<string> {
  try {
    await guard.call(undefined as never, request, {} as FastifyReply);
    return 'admitted';
  } catch (error) {
    assert.ok(error instanceof HttpProblem);
    return `${error.status} ${error.code}`;
  }
}

describe('identity guard', () => {
  const allow = IdentityAllowlist.of([identity('auth-edge-service')]);
  const refusals = () => counter(new Registry(), 'refusals', 'test', ['code']);

  it('with MESH=none admits loopback callers only', async () => {
    const guard = identityGuard({ mode: 'none', refusals: refusals() })(allow);
    assert.equal(await outcome(guard, fakeRequest('127.0.0.1')), 'admitted');
    assert.equal(await outcome(guard, fakeRequest('::1')), 'admitted');
    assert.equal(await outcome(guard, fakeRequest('::ffff:127.0.0.1')), 'admitted');
    assert.equal(await outcome(guard, fakeRequest('10.0.0.7')), '401 identity_required');
    assert.equal(await outcome(guard, fakeRequest('::ffff:10.0.0.7')), '401 identity_required');
  });

  it('in a mesh mode never lets loopback stand in for an identity (the Linkerd proxy itself connects from loopback)', async () => {
    for (const mode of ['native', 'linkerd'] as const) {
      const guard = identityGuard({ mode, refusals: refusals() })(allow);
      assert.equal(await outcome(guard, fakeRequest('127.0.0.1')), '401 identity_required');
      assert.equal(await outcome(guard, fakeRequest('127.0.0.1', identity('authctl'))), '403 identity_not_allowed');
      assert.equal(await outcome(guard, fakeRequest('127.0.0.1', identity('auth-edge-service'))), 'admitted');
    }
  });
});

describe('identity-bound clients', () => {
  const edge = identity('auth-edge-service');

  it('matches a binding written in either form against the caller', () => {
    const request = fakeRequest('10.0.0.7', edge);
    assert.ok(callerMatchesBinding(request, edge.spiffeId));
    assert.ok(callerMatchesBinding(request, 'auth-edge-service.auth-platform.serviceaccount.identity.linkerd.cluster.local'));
  });

  it('refuses another workload, a caller without identity, and a malformed binding', () => {
    assert.ok(!callerMatchesBinding(fakeRequest('10.0.0.7', identity('authctl')), edge.spiffeId));
    assert.ok(!callerMatchesBinding(fakeRequest('127.0.0.1'), edge.spiffeId));
    assert.ok(!callerMatchesBinding(fakeRequest('10.0.0.7', edge), `${edge.spiffeId}/`));
    assert.ok(!callerMatchesBinding(fakeRequest('10.0.0.7', edge), edge.spiffeId.toUpperCase()));
  });
});
