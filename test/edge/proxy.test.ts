import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { request as undiciRequest } from 'undici';
import { startDemoUpstream, type DemoUpstream } from '../../src/edge/index.js';
import { TEST_AUDIENCE, type FakeIssuer } from '../support/fake-issuer.js';
import { refusalCode, startEdgeWithIssuer, type EdgeWithIssuer, type TestEdge } from './edge-harness.js';

interface EchoBody {
  path: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

async function startServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function stopServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

describe('reverse proxy', () => {
  let setup: EdgeWithIssuer;
  let issuer: FakeIssuer;
  let edge: TestEdge;
  let demo: DemoUpstream;
  let special: { url: string; server: Server };
  let releaseStream: () => void = () => undefined;
  const remotePorts = new Set<number>();
  let token: string;

  before(async () => {
    demo = await startDemoUpstream();
    special = await startServer((req, res) => {
      remotePorts.add(req.socket.remotePort ?? 0);
      if (req.url === '/slow') return; // never answers: the route timeout must fire
      if (req.url === '/teapot') {
        res.writeHead(418, { 'content-type': 'text/plain', 'x-upstream': 'yes' });
        return res.end('short and stout');
      }
      if (req.url === '/hop') {
        res.setHeader('x-private-hop', 'must not reach the client');
        res.setHeader('connection', 'x-private-hop');
        res.setHeader('x-kept', 'kept');
        return res.end('ok');
      }
      if (req.url === '/hash') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
        return;
      }
      if (req.url === '/stream') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('first;');
        // The rest only comes once the client has read the first chunk: a buffering proxy would hang here.
        releaseStream = () => res.end('second');
        return;
      }
      res.end('special');
    });
    setup = await startEdgeWithIssuer({
      routes: [
        {
          name: 'orders',
          pathPrefix: '/api/orders',
          upstream: demo.url,
          policy: { audience: TEST_AUDIENCE, scopes: ['read'] },
          claimHeaders: { 'X-Auth-Tenant': 'tenant', 'X-Tenant-Plan': 'plan' },
        },
        { name: 'admin', pathPrefix: '/api/orders/admin', upstream: demo.url, policy: { audience: TEST_AUDIENCE, scopes: ['admin'] } },
        { name: 'writes', pathPrefix: '/api', methods: ['POST'], upstream: special.url, policy: { audience: TEST_AUDIENCE, scopes: ['write'] } },
        { name: 'special', pathPrefix: '/special', upstream: special.url, stripPrefix: true, timeout: '200ms', policy: { audience: TEST_AUDIENCE } },
        { name: 'public', pathPrefix: '/public', upstream: `${demo.url}/base`, policy: { anonymous: true } },
        { name: 'by-host', host: 'Internal.Example', pathPrefix: '/', upstream: special.url, policy: { audience: TEST_AUDIENCE } },
        { name: 'down', pathPrefix: '/down', upstream: 'http://127.0.0.1:1', policy: { audience: TEST_AUDIENCE } },
        { name: 'decide-only', pathPrefix: '/decide-only', policy: { audience: TEST_AUDIENCE } },
      ],
    });
    ({ issuer, edge } = setup);
    token = await issuer.sign({ tenant: 'acme', plan: 'gold' } as Record<string, unknown>);
  });
  after(async () => {
    releaseStream();
    await setup.close();
    await demo.close();
    await stopServer(special.server);
  });

  /** `bearer` defaults to the suite's valid token; pass null for an anonymous call. */
  const call = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}, bearer: string | null = token) =>
    fetch(`${edge.url}${path}`, { ...init, headers: { ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }), ...init.headers } });

  /** node:http sends what it is given: no URL normalisation, and Connection as written. */
  const rawCall = (path: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${edge.url}${path}`, { headers, path }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });

  it('forwards an admitted request with the identity the edge asserts', async () => {
    const response = await call('/api/orders/42?x=1');
    assert.equal(response.status, 200);
    const echo = (await response.json()) as EchoBody;
    assert.equal(echo.path, '/api/orders/42?x=1');
    assert.equal(echo.headers['x-auth-subject'], 'user-1');
    assert.equal(echo.headers['x-auth-client-id'], 'client-1');
    assert.equal(echo.headers['x-auth-scopes'], 'read write');
    assert.equal(echo.headers['x-auth-tenant'], 'acme');
    assert.equal(echo.headers['x-tenant-plan'], 'gold');
  });

  it('never lets identity headers sent by the client reach the upstream', async () => {
    const response = await call('/api/orders', {
      headers: { 'X-Auth-Subject': 'admin', 'X-Auth-Scopes': 'admin', 'X-Auth-Anything': 'forged', 'X-Tenant-Plan': 'platinum' },
    });
    const echo = (await response.json()) as EchoBody;
    assert.equal(echo.headers['x-auth-subject'], 'user-1');
    assert.equal(echo.headers['x-auth-scopes'], 'read write');
    assert.equal(echo.headers['x-auth-anything'], undefined);
    assert.equal(echo.headers['x-tenant-plan'], 'gold');
  });

  it('strips spoofed identity headers on anonymous routes too, forwarding none', async () => {
    const response = await call('/public/page', { headers: { 'X-Auth-Subject': 'admin', 'X-Auth-Client-Id': 'root' } }, null);
    assert.equal(response.status, 200);
    const echo = (await response.json()) as EchoBody;
    assert.equal(echo.path, '/base/public/page');
    assert.equal(echo.headers['x-auth-subject'], undefined);
    assert.equal(echo.headers['x-auth-client-id'], undefined);
  });

  it('still refuses an invalid token on an anonymous route rather than ignoring it', async () => {
    const response = await call('/public/page', {}, 'not.a.token');
    assert.equal(response.status, 401);
    assert.equal(await refusalCode(response), 'token_malformed');
  });

  it('removes hop-by-hop request headers and sets X-Forwarded-*', async () => {
    const response = await rawCall('/api/orders', {
      authorization: `Bearer ${token}`,
      connection: 'keep-alive, x-hop-secret',
      'x-hop-secret': 'hop',
      'proxy-authorization': 'Basic Zm9vOmJhcg==',
      'x-forwarded-for': '6.6.6.6',
      'x-end-to-end': 'kept',
    });
    const echo = JSON.parse(response.body) as EchoBody;
    assert.equal(echo.headers['x-hop-secret'], undefined);
    assert.equal(echo.headers['proxy-authorization'], undefined);
    assert.equal(echo.headers['x-end-to-end'], 'kept');
    assert.equal(echo.headers['x-forwarded-for'], '127.0.0.1', 'an untrusted client cannot seed X-Forwarded-For');
    assert.equal(echo.headers['x-forwarded-proto'], 'http');
    assert.equal(echo.headers['x-forwarded-host'], new URL(edge.url).host);
    assert.ok(echo.headers['x-request-id']);
  });

  it('removes hop-by-hop response headers', async () => {
    const response = await call('/special/hop');
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-private-hop'), null);
    assert.equal(response.headers.get('x-kept'), 'kept');
  });

  it('passes upstream statuses and headers through unchanged', async () => {
    const response = await call('/special/teapot');
    assert.equal(response.status, 418);
    assert.equal(response.headers.get('x-upstream'), 'yes');
    assert.equal(await response.text(), 'short and stout');
  });

  it('streams a large request body to the upstream without changing a byte', async () => {
    const chunk = Buffer.alloc(256 * 1024, 7);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 16) return controller.close();
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await call('/special/hash', { method: 'PUT', body, duplex: 'half' } as RequestInit & { headers?: Record<string, string> });
    const expected = createHash('sha256');
    for (let i = 0; i < 16; i++) expected.update(chunk);
    assert.deepEqual(await response.json(), { bytes: 16 * chunk.length, sha256: expected.digest('hex') });
  });

  it('streams the response: the first chunk arrives before the upstream has finished', async () => {
    const response = await call('/special/stream');
    const reader = response.body!.getReader();
    const first = await reader.read();
    assert.equal(Buffer.from(first.value!).toString(), 'first;');
    releaseStream();
    let rest = '';
    for (let next = await reader.read(); !next.done; next = await reader.read()) rest += Buffer.from(next.value).toString();
    assert.equal(rest, 'second');
  });

  it('reuses keep-alive connections to an upstream', async () => {
    remotePorts.clear();
    for (let i = 0; i < 5; i++) await (await call('/special/teapot')).text();
    assert.equal(remotePorts.size, 1);
  });

  it('answers 504 problem+json when the upstream exceeds the route timeout', async () => {
    const response = await call('/special/slow');
    assert.equal(response.status, 504);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await response.json()) as { code: string }).code, 'upstream_timeout');
  });

  it('answers 502 problem+json when the upstream cannot be reached', async () => {
    const response = await call('/down/x');
    assert.equal(response.status, 502);
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(((await response.json()) as { code: string }).code, 'upstream_unavailable');
  });

  it('matches the longest prefix on whole segments, methods and hosts', async () => {
    const admin = await call('/api/orders/admin/users');
    assert.equal(admin.status, 403, 'the longer prefix wins and requires admin');
    assert.equal(await refusalCode(admin), 'insufficient_scope');
    const post = await call('/api/orders', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(post.status, 200, 'a method-specific shorter prefix never shadows a longer one');
    const write = await call('/api/other', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(await write.text(), 'special');
    const sibling = await call('/api/ordersx');
    assert.equal(sibling.status, 404);
    assert.equal(await refusalCode(sibling), 'route_not_found');
    const decideOnly = await call('/decide-only');
    assert.equal(decideOnly.status, 404, 'a route without upstream serves forward-auth only');
    assert.equal(await refusalCode(decideOnly), 'route_not_found');
    const byHost = await undiciRequest(`${edge.url}/anything`, { headers: { host: 'internal.example:8443', authorization: `Bearer ${token}` } });
    assert.equal(await byHost.body.text(), 'special');
  });

  it('refuses dot segments and encoded slashes instead of guessing what the upstream will serve', async () => {
    for (const path of ['/public/../api/orders', '/public/%2e%2e/api/orders', '/public%2f..%2fapi']) {
      const response = await rawCall(path);
      assert.equal(response.status, 400, path);
      assert.equal((JSON.parse(response.body) as { code: string }).code, 'request_invalid');
    }
  });

  it('refuses without calling the upstream when the token is bad', async () => {
    remotePorts.clear();
    const response = await call('/special/teapot', {}, await issuer.sign({ aud: 'https://elsewhere.test' }));
    assert.equal(response.status, 401);
    assert.equal(await refusalCode(response), 'token_audience_invalid');
    assert.equal(remotePorts.size, 0);
  });
});
