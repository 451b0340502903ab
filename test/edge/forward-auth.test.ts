import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { TEST_AUDIENCE } from '../support/fake-issuer.js';
import type { RouteSpec } from '../../src/edge/index.js';
import { refusalCode, startEdgeWithIssuer, type EdgeWithIssuer, type TestEdge } from './edge-harness.js';

const ROUTES: RouteSpec[] = [
  { name: 'orders', pathPrefix: '/orders', policy: { audience: TEST_AUDIENCE, scopes: ['read'] }, claimHeaders: { 'X-Auth-Tenant': 'tenant' } },
  { name: 'orders-write', pathPrefix: '/orders', methods: ['POST', 'DELETE'], policy: { audience: TEST_AUDIENCE, scopes: ['write'] } },
  { name: 'internal', host: 'internal.example', pathPrefix: '/', policy: { audience: TEST_AUDIENCE, scopes: ['internal'] } },
  { name: 'health', pathPrefix: '/status', policy: { anonymous: true } },
];

/** An edge trusting `proxy`'s headers, and a read-scoped token. */
function edgeBehind(proxy: string) {
  const state = {} as { setup: EdgeWithIssuer; edge: TestEdge; token: string };
  before(async () => {
    state.setup = await startEdgeWithIssuer({ routes: ROUTES, env: { EDGE_FORWARD_AUTH_PROXY: proxy } });
    state.edge = state.setup.edge;
    state.token = await state.setup.issuer.sign({ scope: 'read', tenant: 'acme' } as Record<string, unknown>);
  });
  after(() => state.setup.close());
  return state;
}

describe('forward-auth at /auth/verify behind nginx (the default)', () => {
  const state = edgeBehind('nginx');

  /** As nginx's auth_request asks: the original method, URI and host in X-Original-*. */
  const ask = (path: string, headers: Record<string, string>, method = 'GET') =>
    fetch(`${state.edge.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${state.token}`, 'x-original-method': 'GET', 'x-original-host': 'shop.example', ...headers },
    });

  it('answers nginx auth_request (X-Original-URI / X-Original-Method) with identity headers', async () => {
    const response = await ask('/auth/verify', { 'x-original-uri': '/orders/7?expand=1', 'x-original-method': 'GET' });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-subject'), 'user-1');
    assert.equal(response.headers.get('x-auth-client-id'), 'client-1');
    assert.equal(response.headers.get('x-auth-scopes'), 'read');
    assert.equal(response.headers.get('x-auth-tenant'), 'acme');
    assert.equal(response.headers.get('cache-control'), 'no-store');
  });

  it('decides on the original method: a POST needs the write scope', async () => {
    const response = await ask('/auth/verify', { 'x-original-uri': '/orders/7', 'x-original-method': 'POST' });
    assert.equal(response.status, 403);
    assert.equal(await refusalCode(response), 'insufficient_scope');
    assert.match(response.headers.get('www-authenticate') ?? '', /scope="write"/);
  });

  it('admits anonymous requests on anonymous routes with empty identity headers', async () => {
    const response = await fetch(`${state.edge.url}/auth/verify`, {
      headers: { 'x-original-uri': '/status', 'x-original-method': 'GET', 'x-original-host': 'shop.example', 'x-auth-subject': 'admin' },
    });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-subject'), '', 'present and empty, so the proxy overwrites a spoofed one');
  });

  it('refuses requests for unconfigured paths with 403 route_not_configured', async () => {
    const response = await ask('/auth/verify', { 'x-original-uri': '/admin' });
    assert.equal(response.status, 403);
    assert.equal(await refusalCode(response), 'route_not_configured');
  });

  it('refuses a malformed original URI with 400 request_invalid', async () => {
    for (const uri of ['orders', '/status/../orders', '/orders/%2e%2e/admin']) {
      const response = await ask('/auth/verify', { 'x-original-uri': uri });
      assert.equal(response.status, 400, uri);
      assert.equal(await refusalCode(response), 'request_invalid');
    }
  });

  it('counts every decision by mode, result and reason', async () => {
    const metrics = await (await fetch(`${state.edge.url}/metrics`)).text();
    assert.match(metrics, /edge_decisions_total\{mode="forward_auth",result="allow",reason="ok"[^}]*\} [1-9]/);
    assert.match(metrics, /edge_decisions_total\{mode="forward_auth",result="deny",reason="insufficient_scope"[^}]*\} [1-9]/);
    assert.match(metrics, /edge_decision_duration_seconds_count\{[^}]*mode="forward_auth"[^}]*\} [1-9]/);
    assert.match(metrics, /edge_jwks_age_seconds\{[^}]*\} \d/);
    assert.match(metrics, /edge_revocation_lag_seconds\{[^}]*\} \d/);
  });
});

describe('forward-auth at /auth/verify behind Traefik', () => {
  const state = edgeBehind('traefik');

  it('answers Traefik forwardAuth (X-Forwarded-Method / -Uri / -Host)', async () => {
    const ask = (host: string) =>
      fetch(`${state.edge.url}/auth/verify`, {
        headers: { authorization: `Bearer ${state.token}`, 'x-forwarded-method': 'GET', 'x-forwarded-uri': '/orders', 'x-forwarded-host': host },
      });
    assert.equal((await ask('shop.example')).status, 200);
    assert.equal((await ask('internal.example')).status, 403, 'the host route requires the internal scope');
  });
});

describe('forward-auth at /auth/verify behind Envoy', () => {
  const state = edgeBehind('envoy');

  it('answers Envoy ext_authz over HTTP (original path after the prefix, original method)', async () => {
    const ask = (path: string, method = 'GET') => fetch(`${state.edge.url}${path}`, { method, headers: { authorization: `Bearer ${state.token}` } });
    assert.equal((await ask('/auth/verify/orders/7')).status, 200);
    assert.equal((await ask('/auth/verify/orders/7', 'DELETE')).status, 403);
    const post = await fetch(`${state.edge.url}/auth/verify/orders`, {
      method: 'POST',
      headers: { authorization: `Bearer ${state.token}`, 'content-type': 'application/json' },
      body: '{not json at all',
    });
    assert.equal(post.status, 403, 'bodies are never parsed, so a broken one is not a 400');
  });
});
