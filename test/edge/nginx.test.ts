import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startDemoUpstream, type DemoUpstream } from '../../src/edge/index.js';
import { TEST_AUDIENCE, type FakeIssuer } from '../support/fake-issuer.js';
import { findNginx, startNginx, type NginxServer } from '../support/nginx/nginx-server.js';
import { startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

const nginx = findNginx();
const skip = nginx === undefined ? 'nginx is not installed (Debian package `nginx`: apt-get install -y nginx)' : false;

interface Echo {
  identity: { subject: string | null; clientId: string | null; scopes: string | null };
  path: string;
}

describe('a real nginx using the edge through auth_request', { skip }, () => {
  let issuer: FakeIssuer;
  let setup: EdgeWithIssuer;
  let demo: DemoUpstream;
  let proxy: NginxServer;

  before(async () => {
    demo = await startDemoUpstream();
    setup = await startEdgeWithIssuer({
      routes: [
        { name: 'demo', pathPrefix: '/demo', policy: { audience: TEST_AUDIENCE, scopes: ['read'] } },
        { name: 'public', pathPrefix: '/public', policy: { anonymous: true } },
      ],
      env: { EDGE_RATE_LIMIT_SUBJECT: '5/1m', EDGE_BREAKER_RESET: '1h' },
    });
    issuer = setup.issuer;
    proxy = await startNginx(nginx!, setup.edge.url, demo.url);
  });
  after(async () => {
    await proxy?.close();
    await setup?.close();
    await demo?.close();
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${proxy.url}${path}`, { headers });

  it('admits a valid token and passes the edge\'s identity, not the client\'s, to the upstream', async () => {
    const response = await get('/demo/items?page=2', {
      authorization: `Bearer ${await issuer.sign()}`,
      'x-auth-subject': 'admin',
      'x-auth-scopes': 'admin',
    });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo;
    assert.equal(echo.path, '/demo/items?page=2');
    assert.deepEqual(echo.identity, { subject: 'user-1', clientId: 'client-1', scopes: 'read write' });
  });

  it('refuses a missing token with the edge\'s 401 and its challenge', async () => {
    const response = await get('/demo/items');
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="auth-edge"');
  });

  it('refuses an expired token with 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const response = await get('/demo/items', { authorization: `Bearer ${await issuer.sign({ iat: now - 900, exp: now - 600 })}` });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  it('refuses a forged token with 401', async () => {
    const [header, , signature] = (await issuer.sign()).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify(issuer.claims({ sub: 'admin' }))).toString('base64url')}.${signature}`;
    assert.equal((await get('/demo/items', { authorization: `Bearer ${forged}` })).status, 401);
  });

  it('refuses a token without the required scope with the edge\'s 403', async () => {
    const response = await get('/demo/items', { authorization: `Bearer ${await issuer.sign({ scope: 'write' })}` });
    assert.equal(response.status, 403);
  });

  it('lets anonymous requests through to anonymous routes with no identity, even a spoofed one', async () => {
    const response = await get('/public/info', { 'x-auth-subject': 'admin', 'x-auth-client-id': 'root' });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo;
    assert.deepEqual(echo.identity, { subject: null, clientId: null, scopes: null });
  });

  it('refuses a client\'s Traefik-style X-Forwarded-Uri / -Method, which nginx passes on to the edge, with 400', async () => {
    const response = await get('/demo/items', { 'x-forwarded-uri': '/public/info', 'x-forwarded-method': 'GET' });
    assert.equal(response.status, 400);
    assert.notEqual(response.headers.get('content-type'), 'application/json', 'the upstream never answered');
  });

  it('replaces a client\'s own X-Original-URI / -Method / -Host with the request it forwards', async () => {
    const response = await fetch(`${proxy.url}/demo/items`, {
      method: 'DELETE',
      headers: { 'x-original-uri': '/public/info', 'x-original-method': 'GET', 'x-original-host': 'shop.example' },
    });
    assert.equal(response.status, 401);
  });

  it('drops identity headers spelled with underscores (underscores_in_headers off)', async () => {
    const response = await get('/demo/items', { authorization: `Bearer ${await issuer.sign()}`, x_auth_subject: 'admin', 'X-Auth_Scopes': 'admin' });
    assert.equal(response.status, 200);
    const echo = (await response.json()) as Echo & { headers: Record<string, string> };
    assert.deepEqual(echo.identity, { subject: 'user-1', clientId: 'client-1', scopes: 'read write' });
    assert.deepEqual(Object.keys(echo.headers).filter((name) => name.includes('_')), []);
  });

  it('answers 400 for a path with dot segments, which the edge will not match routes on', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      // node:http sends the path as written; fetch would normalise it away.
      const request = httpRequest(`${proxy.url}/public/../demo/items`, { path: '/public/../demo/items' }, (response) => {
        response.resume();
        resolve(response.statusCode ?? 0);
      });
      request.on('error', reject);
      request.end();
    });
    assert.equal(status, 400);
  });

  it('passes the edge\'s 429 on, with Retry-After, through the X-Auth-Error mapping', async () => {
    const greedy = await issuer.sign({ sub: 'greedy' });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/demo/items', { authorization: `Bearer ${greedy}` })).status);
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    const limited = await get('/demo/items', { authorization: `Bearer ${greedy}` });
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  });

  it('passes the edge\'s 503 on when a new key cannot be confirmed because token-service is down', async () => {
    const rotated = await issuer.addKey();
    await issuer.stop();
    const response = await get('/demo/items', { authorization: `Bearer ${await issuer.sign({}, { key: rotated })}` });
    assert.equal(response.status, 503);
  });
});
