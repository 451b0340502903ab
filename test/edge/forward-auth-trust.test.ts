import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { RouteSpec } from '../../src/edge/index.js';
import { ConfigError, EnvReader, readEdgeConfig } from '../../src/platform/index.js';
import { TEST_AUDIENCE } from '../support/fake-issuer.js';
import { startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

/**
 * Forward-auth judges the request the proxy describes, so whoever can write that description
 * chooses what is judged. These are the requests a client sends through a proxy that passes its
 * headers on (Traefik without authRequestHeaders, Caddy, nginx to the auth subrequest): the edge
 * must judge the request the proxy will forward, or refuse.
 */
const ROUTES: RouteSpec[] = [
  { name: 'admin', pathPrefix: '/admin', policy: { audience: TEST_AUDIENCE, scopes: ['admin'] } },
  { name: 'orders', pathPrefix: '/orders', policy: { audience: TEST_AUDIENCE, scopes: ['read'] } },
  { name: 'orders-write', pathPrefix: '/orders', methods: ['POST', 'DELETE'], policy: { audience: TEST_AUDIENCE, scopes: ['write'] } },
  { name: 'public', pathPrefix: '/public', policy: { anonymous: true } },
  { name: 'internal', host: 'internal.example', pathPrefix: '/', policy: { anonymous: true } },
];

type Headers = Record<string, string | string[]>;

/** An edge trusting `proxy`, a read-only token, and a way to ask it (array values go as repeated header lines). */
function edgeBehind(proxy: string) {
  const state = {} as { setup: EdgeWithIssuer; readToken: string };
  before(async () => {
    state.setup = await startEdgeWithIssuer({ routes: ROUTES, env: { EDGE_FORWARD_AUTH_PROXY: proxy } });
    state.readToken = await state.setup.issuer.sign({ scope: 'read' });
  });
  after(() => state.setup.close());
  const ask = async (path: string, headers: Headers, method = 'GET') => {
    const response = await request(`${state.setup.edge.url}${path}`, { method: method as 'GET', headers });
    const text = await response.body.text();
    return { status: response.statusCode, code: text === '' ? undefined : (JSON.parse(text) as { code?: string }).code };
  };
  return { state, ask };
}

/** What Traefik and Caddy send for the original request: they set these three themselves. */
const forwarded = (method: string, uri: string, host = 'api.example'): Headers => ({
  'x-forwarded-method': method,
  'x-forwarded-uri': uri,
  'x-forwarded-host': host,
});

for (const proxy of ['traefik', 'caddy']) {
  describe(`forward-auth behind ${proxy} (EDGE_FORWARD_AUTH_PROXY=${proxy})`, () => {
    const { state, ask } = edgeBehind(proxy);

    it('judges the request the proxy describes in X-Forwarded-*', async () => {
      const auth = { authorization: `Bearer ${state.readToken}` };
      assert.equal((await ask('/auth/verify', { ...forwarded('GET', '/orders/7'), ...auth })).status, 200);
      assert.equal((await ask('/auth/verify', { ...forwarded('DELETE', '/orders/7'), ...auth })).code, 'insufficient_scope');
    });

    it('refuses a client\'s X-Original-URI naming a public path while the proxy forwards DELETE /admin', async () => {
      const response = await ask('/auth/verify', {
        ...forwarded('DELETE', '/admin/users/1'),
        'x-original-uri': '/public/x',
        'x-original-method': 'GET',
      });
      assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
    });

    it('refuses a read-only token asking to be judged as GET while the proxy forwards DELETE', async () => {
      const response = await ask('/auth/verify', {
        ...forwarded('DELETE', '/orders/7'),
        'x-original-uri': '/orders/7',
        'x-original-method': 'GET',
        authorization: `Bearer ${state.readToken}`,
      });
      assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
    });

    it('refuses a client\'s X-Original-Host choosing an anonymous host route', async () => {
      const response = await ask('/auth/verify', { ...forwarded('GET', '/admin/users'), 'x-original-host': 'internal.example' });
      assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
    });

    it('refuses a repeated X-Forwarded-Uri (the client\'s copy beside a proxy that appends rather than replaces)', async () => {
      const response = await ask('/auth/verify', { ...forwarded('GET', '/admin/users'), 'x-forwarded-uri': ['/admin/users', '/public/x'] });
      assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
      const merged = await ask('/auth/verify', { ...forwarded('GET, DELETE', '/orders/7'), authorization: `Bearer ${state.readToken}` });
      assert.deepEqual(merged, { status: 400, code: 'forward_auth_headers_conflict' }, 'two methods merged into one line');
    });

    it('refuses a description with a part missing rather than filling it in', async () => {
      const { 'x-forwarded-host': _host, ...noHost } = forwarded('GET', '/orders/7');
      const response = await ask('/auth/verify', { ...noHost, authorization: `Bearer ${state.readToken}` });
      assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_missing' });
    });
  });
}

describe('forward-auth behind nginx (the default)', () => {
  const { state, ask } = edgeBehind('nginx');
  const original = (method: string, uri: string, host = 'api.example'): Headers => ({
    'x-original-method': method,
    'x-original-uri': uri,
    'x-original-host': host,
  });

  it('refuses a client\'s X-Forwarded-Uri and -Method, which nginx passes on to the auth subrequest', async () => {
    const response = await ask('/auth/verify', { ...original('DELETE', '/admin/users/1'), 'x-forwarded-uri': '/public/x', 'x-forwarded-method': 'GET' });
    assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
  });

  it('ignores X-Forwarded-Host, which a load balancer in front of nginx may set, and judges X-Original-Host', async () => {
    const response = await ask('/auth/verify', { ...original('GET', '/admin/users'), 'x-forwarded-host': 'internal.example' });
    assert.equal(response.code, 'credentials_missing');
  });

  it('refuses a repeated X-Original-URI', async () => {
    const response = await ask('/auth/verify', { ...original('GET', '/admin/users'), 'x-original-uri': ['/admin/users', '/public/x'] });
    assert.deepEqual(response, { status: 400, code: 'forward_auth_headers_conflict' });
  });

  it('refuses a missing X-Original-Method or -Host instead of judging GET or the Host of the subrequest', async () => {
    // Behind an nginx that does not set X-Original-Method, a DELETE used to be judged as a GET.
    const { 'x-original-method': _method, ...noMethod } = original('DELETE', '/orders/7');
    const withoutMethod = await ask('/auth/verify', { ...noMethod, authorization: `Bearer ${state.readToken}` });
    assert.deepEqual(withoutMethod, { status: 400, code: 'forward_auth_headers_missing' });
    const { 'x-original-host': _host, ...noHost } = original('GET', '/orders/7');
    const withoutHost = await ask('/auth/verify', { ...noHost, authorization: `Bearer ${state.readToken}` });
    assert.deepEqual(withoutHost, { status: 400, code: 'forward_auth_headers_missing' });
  });

  it('counts and logs the refusal under its code', async () => {
    await ask('/auth/verify', { ...original('GET', '/admin'), 'x-forwarded-uri': '/public' });
    const metrics = await (await fetch(`${state.setup.edge.url}/metrics`)).text();
    assert.match(metrics, /edge_decisions_total\{mode="forward_auth",result="deny",reason="forward_auth_headers_conflict"[^}]*\} [1-9]/);
    assert.ok(state.setup.edge.logs.some((line) => line.includes('"code":"forward_auth_headers_conflict"')));
  });
});

describe('forward-auth behind Envoy ext_authz (EDGE_FORWARD_AUTH_PROXY=envoy)', () => {
  const { state, ask } = edgeBehind('envoy');

  it('refuses a client\'s X-Original-URI or X-Forwarded-Uri naming a public path', async () => {
    assert.deepEqual(await ask('/auth/verify/admin/users/1', { 'x-original-uri': '/public/x' }, 'DELETE'), {
      status: 400,
      code: 'forward_auth_headers_conflict',
    });
    assert.deepEqual(await ask('/auth/verify/admin/users/1', { 'x-forwarded-uri': '/public/x', 'x-forwarded-method': 'GET' }, 'DELETE'), {
      status: 400,
      code: 'forward_auth_headers_conflict',
    });
  });

  it('judges the Host Envoy sends, not a client\'s X-Forwarded-Host naming an anonymous host route', async () => {
    assert.equal((await ask('/auth/verify/admin/users', { 'x-forwarded-host': 'internal.example' })).code, 'credentials_missing');
  });

  it('refuses a repeated Host', async () => {
    const answer = await rawRequest(state.setup.edge.url, ['GET /auth/verify/admin/users HTTP/1.1', 'Host: api.example', 'Host: internal.example']);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /"code":"forward_auth_headers_conflict"/);
  });
});

describe('EDGE_FORWARD_AUTH_PROXY', () => {
  it('refuses to start with a proxy it does not know, naming the variable', () => {
    const env = new EnvReader({ EDGE_FORWARD_AUTH_PROXY: 'haproxy' });
    readEdgeConfig(env);
    assert.throws(() => env.finish(), (error: unknown) => error instanceof ConfigError && /EDGE_FORWARD_AUTH_PROXY: must be one of nginx, traefik, envoy, caddy/.test(error.message));
  });
});

/** Sends a request as written (two Host lines, which fetch and undici refuse to write) and reads the whole answer. */
function rawRequest(url: string, lines: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(`${lines.join('\r\n')}\r\nConnection: close\r\n\r\n`));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.on('error', reject);
  });
}
