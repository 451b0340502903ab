import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoUpstream, type DemoUpstream, type RouteSpec } from '../../src/edge/index.js';
import { ConfigError, EnvReader, readEdgeConfig } from '../../src/platform/index.js';
import { TEST_AUDIENCE } from '../support/fake-issuer.js';
import { refusalCode, startEdgeWithIssuer, verify, type EdgeWithIssuer } from './edge-harness.js';

/**
 * CGI, WSGI and Rack servers turn `X-Auth-Subject` into `HTTP_X_AUTH_SUBJECT`, and so
 * `X_Auth_Subject` too: a client that spells an identity header with underscores gets past a
 * filter that only knows the dashed name, and the upstream may read its value as the edge's.
 */
interface Echo {
  identity: { subject: string | null; clientId: string | null; scopes: string | null };
  headers: Record<string, string>;
}

const SPOOFS = {
  x_auth_subject: 'admin',
  'X-Auth_Client-Id': 'root',
  'x_auth-scopes': 'admin',
  X_TENANT: 'other-tenant',
};

function routes(upstream: string): RouteSpec[] {
  return [
    { name: 'api', pathPrefix: '/api', upstream, policy: { audience: TEST_AUDIENCE, scopes: ['read'] }, claimHeaders: { 'X-Tenant': 'tenant' } },
    { name: 'public', pathPrefix: '/public', upstream, policy: { anonymous: true } },
  ];
}

describe('identity headers spelled with underscores', () => {
  let demo: DemoUpstream;
  let setup: EdgeWithIssuer;
  let token: string;

  before(async () => {
    demo = await startDemoUpstream();
    setup = await startEdgeWithIssuer({ routes: routes(demo.url) });
    token = await setup.issuer.sign({ scope: 'read', tenant: 'acme' } as Record<string, unknown>);
  });
  after(async () => {
    await setup?.close();
    await demo?.close();
  });

  const proxied = async (path: string, headers: Record<string, string>) => {
    const response = await request(`${setup.edge.url}${path}`, { headers });
    assert.equal(response.statusCode, 200);
    return (await response.body.json()) as Echo;
  };

  it('proxy: never reach the upstream, so a CGI-style server cannot read them as the edge\'s', async () => {
    const echo = await proxied('/api/orders', { authorization: `Bearer ${token}`, ...SPOOFS });
    assert.deepEqual(echo.identity, { subject: 'user-1', clientId: 'client-1', scopes: 'read' });
    assert.equal(echo.headers['x-tenant'], 'acme');
    assert.deepEqual(Object.keys(echo.headers).filter((name) => name.includes('_')), []);
  });

  it('proxy: never reach the upstream of an anonymous route either', async () => {
    const echo = await proxied('/public/info', SPOOFS);
    assert.deepEqual(echo.identity, { subject: null, clientId: null, scopes: null });
    assert.deepEqual(Object.keys(echo.headers).filter((name) => name.includes('_')), []);
  });

  it('proxy: drops every header whose name has an underscore by default, as nginx does', async () => {
    const echo = await proxied('/public/info', { x_request_origin: 'a', 'x-custom': 'kept' });
    assert.equal(echo.headers.x_request_origin, undefined);
    assert.equal(echo.headers['x-custom'], 'kept');
  });

  it('forward-auth: refuses them, since a proxy copying the edge\'s answer replaces only the dashed spelling', async () => {
    for (const [name, value] of Object.entries(SPOOFS)) {
      const response = await verify(setup.edge, token, { headers: { [name]: value } });
      assert.equal(response.status, 400, name);
      assert.equal(await refusalCode(response), 'identity_header_spoofed', name);
    }
  });

  it('forward-auth: lets other underscore headers and the dashed identity headers through (the proxy overwrites those)', async () => {
    const response = await verify(setup.edge, token, { headers: { x_request_origin: 'a', 'x-auth-subject': 'admin' } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-subject'), 'user-1');
  });
});

describe('EDGE_ALLOW_UNDERSCORE_HEADERS=true', () => {
  let demo: DemoUpstream;
  let setup: EdgeWithIssuer;

  before(async () => {
    demo = await startDemoUpstream();
    setup = await startEdgeWithIssuer({ routes: routes(demo.url), env: { EDGE_ALLOW_UNDERSCORE_HEADERS: 'true' } });
  });
  after(async () => {
    await setup?.close();
    await demo?.close();
  });

  it('forwards other underscore headers, still never an identity header in any spelling', async () => {
    const response = await request(`${setup.edge.url}/public/info`, { headers: { x_request_origin: 'a', ...SPOOFS } });
    const echo = (await response.body.json()) as Echo;
    assert.equal(echo.headers.x_request_origin, 'a');
    assert.deepEqual(Object.keys(echo.headers).filter((name) => name.includes('_')), ['x_request_origin']);
  });

  it('is refused at start unless true or false, naming the variable', () => {
    const env = new EnvReader({ EDGE_ALLOW_UNDERSCORE_HEADERS: 'sometimes' });
    readEdgeConfig(env);
    assert.throws(() => env.finish(), (error: unknown) => error instanceof ConfigError && /EDGE_ALLOW_UNDERSCORE_HEADERS: must be true or false/.test(error.message));
  });
});
