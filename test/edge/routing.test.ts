import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRoutes, type RouteSpec } from '../../src/edge/index.js';
import { canonicalPath } from '../../src/edge/request-target.js';
import { RouteTable } from '../../src/edge/routes/route-table.js';

const policy = { audience: 'a' };

function table(specs: RouteSpec[]): RouteTable {
  return new RouteTable(parseRoutes({ routes: specs }), () => [], { upstreamTimeoutMs: 1000, maxBodyBytes: 1024 });
}

describe('route table', () => {
  const routes = table([
    { name: 'root', pathPrefix: '/', upstream: 'http://u', policy },
    { name: 'api', pathPrefix: '/api', upstream: 'http://u', policy },
    { name: 'api-writes', pathPrefix: '/api', methods: ['POST'], upstream: 'http://u', policy },
    { name: 'api-admin', pathPrefix: '/api/admin', upstream: 'http://u', policy },
    { name: 'host', host: 'Admin.Example', pathPrefix: '/', upstream: 'http://u', policy },
    { name: 'v6', host: '[::1]', pathPrefix: '/', upstream: 'http://u', policy },
    { name: 'decide-only', pathPrefix: '/hooks', policy },
  ]);
  const name = (host: string, path: string, method = 'GET', mode: 'proxy' | 'forward_auth' = 'proxy') =>
    routes.match(mode, host, path, method)?.definition.name;

  it('prefers a host route, then the longest prefix, then a method list', () => {
    assert.equal(name('admin.example:8443', '/api/admin'), 'host');
    assert.equal(name('shop.example', '/api/admin/users'), 'api-admin');
    assert.equal(name('shop.example', '/api/admin/users', 'POST'), 'api-admin');
    assert.equal(name('shop.example', '/api/orders', 'POST'), 'api-writes');
    assert.equal(name('shop.example', '/api/orders'), 'api');
    assert.equal(name('[::1]:8081', '/x'), 'v6');
  });

  it('matches prefixes on whole path segments', () => {
    assert.equal(name('shop.example', '/api'), 'api');
    assert.equal(name('shop.example', '/apix'), 'root');
    assert.equal(name('shop.example', '/api/adminx'), 'api');
  });

  it('serves routes without an upstream to forward-auth only', () => {
    assert.equal(name('shop.example', '/hooks/x', 'GET', 'forward_auth'), 'decide-only');
    assert.equal(name('shop.example', '/hooks/x', 'GET', 'proxy'), 'root');
  });

  it('treats every x-auth-* header and every mapped claim header as identity', () => {
    const mapped = table([{ name: 'm', policy, claimHeaders: { 'X-Tenant': 'tenant' } }]);
    assert.ok(mapped.isIdentityHeader('x-auth-anything'));
    assert.ok(mapped.isIdentityHeader('x-tenant'));
    assert.ok(!mapped.isIdentityHeader('x-request-id'));
  });
});

describe('request target', () => {
  it('keeps the path and drops the query', () => {
    assert.equal(canonicalPath('/a/b?c=../d'), '/a/b');
    assert.equal(canonicalPath('/'), '/');
  });

  it('refuses targets it could match differently from the upstream', () => {
    for (const target of ['a/b', '*', 'http://evil/x', '/a/../b', '/a/./b', '/a/..', '/a/%2E%2e/b', '/a%2fb', '/a%5Cb', '/a\\b', '/a b', '/a\x00b']) {
      assert.equal(canonicalPath(target), undefined, JSON.stringify(target));
    }
  });

  it('accepts dots that are not whole segments', () => {
    assert.equal(canonicalPath('/v1.2/file..txt/.well-known'), '/v1.2/file..txt/.well-known');
  });
});
