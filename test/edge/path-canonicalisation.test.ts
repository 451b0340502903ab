import assert from 'node:assert/strict';
import { Agent, createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { canonicalPath } from '../../src/edge/request-target.js';
import { TEST_AUDIENCE } from '../support/fake-issuer.js';
import { assertProperty } from '../support/property.js';
import { startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

/**
 * Routes match the path the edge judged; backends route on what they make of the path they
 * receive. These tests are the attacks from issue 9 finding 2: a request that reaches a less
 * strict route (here an anonymous `/`) while a decoding or normalising backend serves it as
 * `/admin/...`.
 */

/** Each attack, and what the edge must do with it when no token is sent. */
const ATTACKS: ReadonlyArray<{ path: string; what: string; status: 400 | 401; code: string }> = [
  { path: '/%61dmin/users', what: 'an encoded unreserved letter (WSGI and Go decode it)', status: 401, code: 'credentials_missing' },
  { path: '/ADMIN/users', what: 'upper case, for a case-insensitive backend', status: 401, code: 'credentials_missing' },
  { path: '/admin;x/users', what: 'a path parameter (servlets drop it)', status: 400, code: 'request_invalid' },
  { path: '//admin/users', what: 'an empty segment (nginx merge_slashes collapses it)', status: 400, code: 'request_invalid' },
  { path: '/admin./users', what: 'a trailing dot (Windows and IIS strip it)', status: 400, code: 'request_invalid' },
  { path: '/admin%00/users', what: 'an encoded NUL (C strings end there)', status: 400, code: 'request_invalid' },
];

/**
 * What the most lenient backends make of a path, combined: percent-decoding twice, overlong UTF-8
 * accepted, NUL ending the string, NFKC and case folding, `\` as `/`, `;params` dropped, empty and
 * dot segments resolved, trailing dots and spaces stripped.
 */
function backendView(target: string): string {
  let path = target.split('?')[0]!.split('#')[0]!;
  path = lenientDecode(lenientDecode(path));
  path = path.split('\0')[0]!.normalize('NFKC').toUpperCase().toLowerCase().replaceAll('\\', '/');
  const resolved: string[] = [];
  for (const raw of path.split('/')) {
    const segment = raw.split(';')[0]!;
    if (segment === '..') resolved.pop();
    else if (segment !== '.' && segment.replace(/[. ]+$/, '') !== '') resolved.push(segment.replace(/[. ]+$/, ''));
  }
  return `/${resolved.join('/')}`;
}

/** Percent-decoding that decodes what it can, and reads overlong UTF-8 (`%C0%AF`) as old decoders did. */
function lenientDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%' && /^[0-9a-f]{2}$/i.test(text.slice(i + 1, i + 3))) {
      bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(text[i]!, 'utf8'));
  }
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const next = bytes[i + 1] ?? 0;
    const third = bytes[i + 2] ?? 0;
    const continuation = (byte: number) => (byte & 0xc0) === 0x80;
    if ((b & 0xe0) === 0xc0 && continuation(next)) {
      out += String.fromCodePoint(((b & 0x1f) << 6) | (next & 0x3f));
      i += 1;
    } else if ((b & 0xf0) === 0xe0 && continuation(next) && continuation(third)) {
      out += String.fromCodePoint(((b & 0x0f) << 12) | ((next & 0x3f) << 6) | (third & 0x3f));
      i += 2;
    } else out += String.fromCharCode(b);
  }
  return out;
}

const isAdminPath = (path: string) => path === '/admin' || path.startsWith('/admin/');

describe('canonical request paths: the form routes are matched on', () => {
  const cases: Array<[string, string | undefined]> = [
    ['/%61dmin/users', '/admin/users'],
    ['/%7Euser/%2d', '/~user/-'],
    ['/caf%c3%a9/%3a', '/caf%C3%A9/%3A'],
    ['/a+b/', '/a+b/'],
    ['/100%25', '/100%25'],
    ['/a?b=//../%zz', '/a'],
    ['/', '/'],
  ];
  for (const [target, canonical] of cases) {
    it(`writes ${target} as ${canonical}`, () => assert.equal(canonicalPath(target), canonical));
  }

  const refused: Array<[string, string]> = [
    ['/%2e%2e/admin', 'an encoded dot segment'],
    ['/x/%2E/admin', 'an encoded single-dot segment'],
    ['/admin.', 'a trailing dot at the end of the path'],
    ['/admin%2e/users', 'an encoded trailing dot'],
    ['/admin%20/users', 'an encoded trailing space (Windows strips it)'],
    ['/admin%zz/users', 'an invalid percent-encoding'],
    ['/admin%4', 'a truncated percent-encoding'],
    ['/%c0%afadmin', 'overlong UTF-8 for /'],
    ['/%e0%80%afadmin', 'a three-byte overlong /'],
    ['/%ed%a0%80', 'an encoded UTF-16 surrogate'],
    ['/%ff', 'a byte that is not UTF-8'],
    ['/%EF%BD%81dmin', 'a fullwidth letter NFKC maps to a'],
    ['/%C4%B1', 'dotless i, which upper-cases to I'],
    ['/%E2%84%AA', 'the Kelvin sign, which lower-cases to k'],
    ['/%2561dmin', 'double encoding (%25 then hex)'],
    ['/%25%36%31dmin', 'double encoding spelled with encoded digits'],
    ['/admin%252fusers', 'a double-encoded slash in lower-case hex'],
    ['/admin%2fusers', 'an encoded slash'],
    ['/admin%5Cusers', 'an encoded backslash'],
    ['/admin\\users', 'a backslash'],
    ['/admin%3busers', 'an encoded semicolon'],
    ['/admin%0d%0aX: y', 'encoded CR LF'],
    ['/admin\tusers', 'a tab'],
    ['/admin#/users', 'a fragment'],
    ['/caf\u00e9', 'a raw non-ASCII character'],
    ['/a|b', 'a character outside RFC 3986'],
    ['/a//b', 'an inner empty segment'],
    ['admin', 'a target that is not a path'],
    ['http://evil/admin', 'the absolute form'],
    ['*', 'the asterisk form'],
  ];
  for (const [target, what] of refused) {
    it(`refuses ${what}: ${JSON.stringify(target)}`, () => assert.equal(canonicalPath(target), undefined));
  }
});

describe('an anonymous / route beside a protected /admin route', () => {
  let setup: EdgeWithIssuer;
  let upstream: Server;
  /** Every path the upstream received, as it received it. */
  const received: string[] = [];
  let adminToken: string;
  const agent = new Agent({ keepAlive: true });

  before(async () => {
    upstream = createServer((req, res) => {
      received.push(req.url ?? '');
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url }));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    setup = await startEdgeWithIssuer({
      routes: [
        { name: 'public', pathPrefix: '/', upstream: url, policy: { anonymous: true } },
        // The backend behind /admin folds case (IIS, a case-insensitive servlet mapping), so the route says so.
        { name: 'admin', pathPrefix: '/admin', caseInsensitive: true, upstream: url, policy: { audience: TEST_AUDIENCE, scopes: ['admin'] } },
        { name: 'reports', pathPrefix: '/reports', upstream: url, policy: { audience: TEST_AUDIENCE } },
      ],
    });
    adminToken = await setup.issuer.sign({ scope: 'admin' });
  });
  after(async () => {
    agent.destroy();
    await setup.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  /** node:http sends the target exactly as given: fetch would normalise it first. */
  const send = (target: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(`${setup.edge.url}/`, { path: target, headers, agent }, (response) => {
        let body = '';
        response.setEncoding('latin1');
        response.on('data', (chunk: string) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
      });
      request.on('error', reject);
      request.end();
    });
  const codeOf = (body: string) => (JSON.parse(body) as { code?: string }).code;
  /** As nginx auth_request asks, with the raw $request_uri. */
  const verifyRaw = (target: string) => send('/auth/verify', { 'x-original-uri': target, 'x-original-method': 'GET', 'x-original-host': 'api.example' });

  for (const attack of ATTACKS) {
    it(`proxy: ${attack.what}, ${attack.path}, is ${attack.status === 400 ? 'refused' : 'judged as /admin'} and never reaches the upstream`, async () => {
      received.length = 0;
      const response = await send(attack.path);
      assert.equal(response.status, attack.status, response.body);
      assert.equal(codeOf(response.body), attack.code);
      assert.deepEqual(received, []);
    });

    it(`forward-auth: ${attack.what}, ${attack.path}, is ${attack.status === 400 ? 'refused' : 'judged as /admin'}`, async () => {
      const response = await verifyRaw(attack.path);
      assert.equal(response.status, attack.status, response.body);
      assert.equal(codeOf(response.body), attack.code);
    });
  }

  it('sends the upstream the canonical path it judged, with the query as the client sent it', async () => {
    received.length = 0;
    const response = await send('/%61dmin/%75sers?next=%2F..%2Fx&a=%61', { authorization: `Bearer ${adminToken}` });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(received, ['/admin/users?next=%2F..%2Fx&a=%61']);
  });

  it('forwards a case-insensitive route its path as spelled, once judged as that route', async () => {
    received.length = 0;
    const response = await send('/ADMIN/Users', { authorization: `Bearer ${adminToken}` });
    assert.equal(response.status, 200, response.body);
    assert.deepEqual(received, ['/ADMIN/Users']);
  });

  it('matches case-sensitively by default: /REPORTS is another path to a case-sensitive backend', async () => {
    received.length = 0;
    const response = await send('/REPORTS/q1');
    assert.equal(response.status, 200, 'the anonymous / route serves it');
    assert.deepEqual(received, ['/REPORTS/q1']);
    assert.equal((await send('/reports/q1')).status, 401);
  });

  it('keeps one trailing slash: /admin/ is under /admin', async () => {
    assert.equal((await send('/admin/')).status, 401);
    assert.equal((await verifyRaw('/admin/')).status, 401);
  });

  it('property: what a normalising backend reads as /admin is judged as /admin, and the upstream gets the judged path', async () => {
    // Mostly spellings a backend may read as `admin`, so that many paths are admitted; some tricks in each path.
    const spelling = fc.constantFrom('admin', 'ADMIN', 'Admin', 'adm', 'in', 'users', 'a', 'd', 'm', 'i', 'n', '%61', '%41', '%6d', '%6D', '%69', '/', '/', '~', '%7e', '-', '+', '%c3%a9', '.x');
    const trick = fc.constantFrom(
      '%2561', '%252f', '%25', 'f', '.', '..', '%2e', '%2E', ';', ';x', '%3b', '%2f', '%2F', '%5c', '\\', '%00', '%20', '/', '//',
      '%c0%af', '%e0%80%ae', '%ef%bc%8f', '%ef%bd%81', '%C4%B1', '%E2%84%AA', '?', '?x=/admin', '#', '|', '%zz', '%',
    );
    const fragment = fc.oneof({ arbitrary: spelling, weight: 6 }, { arbitrary: trick, weight: 1 });
    const target = fc.array(fragment, { minLength: 1, maxLength: 8 }).map((parts) => `/${parts.join('')}`);
    await assertProperty(
      fc.asyncProperty(target, async (path) => {
        const backendSeesAdmin = isAdminPath(backendView(path));

        received.length = 0;
        const proxied = await send(path);
        if (proxied.status === 200) {
          assert.ok(!backendSeesAdmin, `${path} reached the anonymous route, and a backend would serve it as ${backendView(path)}`);
          const judged = canonicalPath(path)!;
          const query = path.includes('?') ? path.slice(path.indexOf('?')) : '';
          assert.deepEqual(received, [`${judged}${query}`], `${path}: the upstream received what was not judged`);
          assert.ok(!isAdminPath(backendView(received[0]!)), `${path} was forwarded as ${received[0]}, which a backend serves as /admin`);
        } else {
          assert.ok([400, 401].includes(proxied.status), `${path}: ${proxied.status} ${proxied.body}`);
          assert.deepEqual(received, []);
        }

        const decided = await verifyRaw(path);
        if (backendSeesAdmin) assert.notEqual(decided.status, 200, `forward-auth let ${path} through as anonymous`);
        assert.ok([200, 400, 401].includes(decided.status), `${path}: ${decided.status} ${decided.body}`);
      }),
      { numRuns: 300 },
    );
  });
});
