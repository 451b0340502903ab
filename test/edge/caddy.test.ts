import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startDemoUpstream, type DemoUpstream } from '../../src/edge/index.js';
import { findCaddy, startCaddy, type CaddyServer } from '../support/caddy/caddy-server.js';
import { TEST_AUDIENCE, type FakeIssuer } from '../support/fake-issuer.js';
import { startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

const caddy = findCaddy();
const skip = caddy === undefined ? 'caddy is not installed (Debian package `caddy`: apt-get install -y caddy)' : false;

interface Echo {
  message: string;
  identity: { subject: string | null; clientId: string | null; scopes: string | null };
  method: string;
  path: string;
  headers: Record<string, string>;
}

describe('a real Caddy using the edge through forward_auth', { skip }, () => {
  let issuer: FakeIssuer;
  let setup: EdgeWithIssuer;
  let demo: DemoUpstream;
  let proxy: CaddyServer;

  before(async () => {
    demo = await startDemoUpstream();
    setup = await startEdgeWithIssuer({
      routes: [
        { name: 'demo', pathPrefix: '/demo', policy: { audience: TEST_AUDIENCE, scopes: ['read'] } },
        { name: 'demo-write', pathPrefix: '/demo', methods: ['POST', 'PUT', 'PATCH', 'DELETE'], policy: { audience: TEST_AUDIENCE, scopes: ['write'] } },
        { name: 'admin', pathPrefix: '/admin', policy: { audience: TEST_AUDIENCE, scopes: ['admin'] } },
        { name: 'public', pathPrefix: '/public', policy: { anonymous: true } },
        { name: 'internal', host: 'internal.example', pathPrefix: '/', policy: { anonymous: true } },
      ],
      env: { EDGE_FORWARD_AUTH_PROXY: 'caddy' },
    });
    issuer = setup.issuer;
    proxy = await startCaddy(caddy!, setup.edge.url, demo.url);
  });
  after(async () => {
    await proxy?.close();
    await setup?.close();
    await demo?.close();
  });

  /** Through Caddy; array values go as repeated header lines. */
  const send = async (path: string, headers: Record<string, string | string[]> = {}, method = 'GET') => {
    const response = await request(`${proxy.url}${path}`, { method: method as 'GET', headers });
    const text = await response.body.text();
    const json = text.startsWith('{') ? (JSON.parse(text) as Partial<Echo> & { code?: string }) : {};
    return { status: response.statusCode, headers: response.headers, json };
  };
  /** The upstream answered: Caddy proxied the request instead of returning the edge's refusal. */
  const reachedUpstream = (json: { message?: string }) => json.message === 'hello from the demo upstream';

  it('admits a valid token and passes the edge\'s identity, not the client\'s, to the upstream', async () => {
    const response = await send('/demo/items?page=2', {
      authorization: `Bearer ${await issuer.sign({ scope: 'read' })}`,
      'x-auth-subject': 'admin',
      'x-auth-scopes': 'admin',
    });
    assert.equal(response.status, 200);
    assert.equal(response.json.path, '/demo/items?page=2');
    assert.deepEqual(response.json.identity, { subject: 'user-1', clientId: 'client-1', scopes: 'read' });
  });

  it('returns the edge\'s refusal, and the upstream is never called', async () => {
    const response = await send('/demo/items', {}, 'DELETE');
    assert.equal(response.status, 401);
    assert.equal(response.headers['www-authenticate'], 'Bearer realm="auth-edge"');
    assert.equal(response.json.code, 'credentials_missing');
    assert.ok(!reachedUpstream(response.json));
  });

  it('does not let a client\'s X-Original-URI turn DELETE /admin into a judgement of a public path', async () => {
    const response = await send('/admin/users/1', { 'x-original-uri': '/public/x', 'x-original-method': 'GET' }, 'DELETE');
    assert.equal(response.status, 400);
    assert.equal(response.json.code, 'forward_auth_headers_conflict');
    assert.ok(!reachedUpstream(response.json));
  });

  it('does not let a read-only token DELETE by asking to be judged as a GET', async () => {
    const readToken = await issuer.sign({ scope: 'read' });
    const attack = await send('/demo/items/7', { authorization: `Bearer ${readToken}`, 'x-original-uri': '/demo/items/7', 'x-original-method': 'GET' }, 'DELETE');
    assert.equal(attack.status, 400);
    assert.ok(!reachedUpstream(attack.json));
    const plain = await send('/demo/items/7', { authorization: `Bearer ${readToken}` }, 'DELETE');
    assert.equal(plain.status, 403);
    assert.equal(plain.json.code, 'insufficient_scope');
  });

  it('replaces a client\'s own X-Forwarded-Method, -Uri and -Host, even repeated, with the request it forwards', async () => {
    const response = await send(
      '/admin/users/1',
      {
        'x-forwarded-method': ['GET', 'GET'],
        'x-forwarded-uri': ['/public/x', '/public/x'],
        'x-forwarded-host': 'internal.example',
      },
      'DELETE',
    );
    assert.equal(response.status, 401);
    assert.equal(response.json.code, 'credentials_missing');
    assert.ok(!reachedUpstream(response.json));
  });

  it('drops identity headers spelled with underscores before the upstream sees them', async () => {
    const response = await send('/demo/items', {
      authorization: `Bearer ${await issuer.sign({ scope: 'read' })}`,
      x_auth_subject: 'admin',
      'X-Auth_Scopes': 'admin',
    });
    assert.equal(response.status, 200);
    assert.deepEqual(response.json.identity, { subject: 'user-1', clientId: 'client-1', scopes: 'read' });
    assert.deepEqual(Object.keys(response.json.headers ?? {}).filter((name) => name.includes('_')), []);
  });
});
