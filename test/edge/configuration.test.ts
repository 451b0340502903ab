import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseRoutes, readRouteFile, RouteConfigError } from '../../src/edge/index.js';
import { ConfigError, EnvReader, loadConfig, readEdgeConfig } from '../../src/platform/index.js';

describe('edge configuration', () => {
  it('has safe defaults: 30 s skew, 8 KiB tokens, port 8081, the issuer taken from AUTH_ISSUER', () => {
    const config = loadConfig({ AUTH_ISSUER: 'https://auth.example.com' }).edge;
    assert.equal(config.port, 8081);
    assert.equal(config.clockSkewMs, 30_000);
    assert.equal(config.maxTokenBytes, 8192);
    assert.equal(config.issuer, 'https://auth.example.com');
    assert.equal(config.jwksUrl, 'http://127.0.0.1:8080/.well-known/jwks.json');
    assert.deepEqual(config.rateLimitPerSubject, { capacity: 600, windowMs: 60_000 });
    assert.deepEqual(config.trustProxy, { kind: 'none' });
  });

  it('reads every variable and turns rate limits off with "off"', () => {
    const config = readEdgeConfig(new EnvReader({
      EDGE_TOKEN_SERVICE_URL: 'http://token-service:8080/',
      EDGE_ISSUER: 'https://issuer.example',
      EDGE_CLOCK_SKEW: '5s',
      EDGE_RATE_LIMIT_IP: 'off',
      EDGE_RATE_LIMIT_SUBJECT: '10/1s',
      EDGE_TRUST_PROXY: '1',
    }));
    assert.equal(config.tokenServiceUrl, 'http://token-service:8080');
    assert.equal(config.jwksUrl, 'http://token-service:8080/.well-known/jwks.json');
    assert.equal(config.issuer, 'https://issuer.example');
    assert.equal(config.clockSkewMs, 5000);
    assert.equal(config.rateLimitPerIp, undefined);
    assert.deepEqual(config.rateLimitPerSubject, { capacity: 10, windowMs: 1000 });
    assert.deepEqual(config.trustProxy, { kind: 'hops', hops: 1 });
  });

  it('names every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ EDGE_PORT: 'http', EDGE_RATE_LIMIT_IP: 'lots', EDGE_MAX_TOKEN_BYTES: '10', EDGE_REVOCATION_FEED_TOKEN: 'short' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const names = error.problems.map((p) => p.variable).sort();
        assert.deepEqual(names, ['EDGE_MAX_TOKEN_BYTES', 'EDGE_PORT', 'EDGE_RATE_LIMIT_IP', 'EDGE_REVOCATION_FEED_TOKEN']);
        assert.doesNotMatch(error.message, /short/, 'a secret is never echoed');
        return true;
      },
    );
  });
});

describe('edge request limits', () => {
  it('bounds the time to send headers (10 s) and the whole request (30 s), and bodies (10 MiB), by default', () => {
    const config = readEdgeConfig(new EnvReader({}));
    assert.equal(config.requestHeadersTimeoutMs, 10_000);
    assert.equal(config.requestTimeoutMs, 30_000);
    assert.equal(config.maxBodyBytes, 10 * 1024 * 1024);
    const set = readEdgeConfig(new EnvReader({ EDGE_REQUEST_HEADERS_TIMEOUT: '2s', EDGE_REQUEST_TIMEOUT: '1m', EDGE_MAX_BODY_SIZE: '512kb' }));
    assert.deepEqual([set.requestHeadersTimeoutMs, set.requestTimeoutMs, set.maxBodyBytes], [2000, 60_000, 512 * 1024]);
  });

  it('names a bad size, a timeout too short, and a headers timeout longer than the request timeout', () => {
    for (const [env, variable] of [
      [{ EDGE_MAX_BODY_SIZE: 'lots' }, 'EDGE_MAX_BODY_SIZE'],
      [{ EDGE_REQUEST_TIMEOUT: '10ms', EDGE_REQUEST_HEADERS_TIMEOUT: '10ms' }, 'EDGE_REQUEST_TIMEOUT'],
      [{ EDGE_REQUEST_HEADERS_TIMEOUT: '1m', EDGE_REQUEST_TIMEOUT: '10s' }, 'EDGE_REQUEST_HEADERS_TIMEOUT'],
    ] as const) {
      assert.throws(() => loadConfig(env), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.ok(error.problems.some((p) => p.variable === variable), `${variable} in ${error.message}`);
        return true;
      });
    }
  });
});

describe('route definitions', () => {
  it('reads a YAML route file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'edge-routes-'));
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, [
      'routes:',
      '  - name: orders',
      '    host: API.Example.com',
      '    pathPrefix: /orders/',
      '    methods: [GET, HEAD]',
      '    upstream: http://127.0.0.1:9000/base',
      '    timeout: 5s',
      '    caseInsensitive: true',
      '    maxBodySize: 1mb',
      '    policy:',
      '      audience: https://api.example.com',
      '      scopes: [orders:read]',
      '    claimHeaders:',
      '      X-Auth-Tenant: tenant',
      '',
    ].join('\n'));
    const [route] = readRouteFile(file);
    assert.deepEqual(route, {
      name: 'orders',
      host: 'api.example.com',
      pathPrefix: '/orders',
      methods: ['GET', 'HEAD'],
      upstream: 'http://127.0.0.1:9000/base',
      caseInsensitive: true,
      stripPrefix: false,
      timeoutMs: 5000,
      maxBodyBytes: 1024 * 1024,
      policy: { audience: ['https://api.example.com'], scopes: ['orders:read'], anonymous: false },
      claimHeaders: { 'X-Auth-Tenant': 'tenant' },
    });
  });

  it('refuses a route without an audience unless it is anonymous', () => {
    assert.throws(() => parseRoutes({ routes: [{ name: 'a', policy: {} }] }), /policy\.audience is required/);
    assert.equal(parseRoutes({ routes: [{ name: 'a', policy: { anonymous: true } }] }).length, 1);
  });

  it('names the route and field of every mistake', () => {
    assert.throws(
      () => parseRoutes({ routes: [{ name: 'bad name!', pathPrefix: 'x', upstream: 'ftp://h', policy: { audience: 'a', scopes: ['a b'] }, extra: 1 }] }),
      (error: unknown) => {
        assert.ok(error instanceof RouteConfigError);
        for (const field of ['routes.0.name', 'routes.0.pathPrefix', 'routes.0.upstream', 'routes.0.policy.scopes.0']) {
          assert.ok(error.message.includes(field), `${field} in ${error.message}`);
        }
        return true;
      },
    );
  });

  it('writes a path prefix in canonical form, and refuses one no canonical request path can match', () => {
    const [route] = parseRoutes({ routes: [{ name: 'a', pathPrefix: '/%61dmin/caf%c3%a9/', policy: { anonymous: true } }] });
    assert.equal(route!.pathPrefix, '/admin/caf%C3%A9');
    for (const pathPrefix of ['admin', '/admin;x', '//admin', '/admin/../x', '/admin.', '/a%2fb', '/admin?x=1']) {
      assert.throws(() => parseRoutes({ routes: [{ name: 'a', pathPrefix, policy: { anonymous: true } }] }), /routes\.0\.pathPrefix: must be a canonical path/, pathPrefix);
    }
    assert.throws(() => parseRoutes({ routes: [{ name: 'a', maxBodySize: 'big', policy: { anonymous: true } }] }), /routes\.0\.maxBodySize/);
  });

  it('refuses duplicate route names and unreadable files', () => {
    const route = { name: 'same', policy: { anonymous: true } };
    assert.throws(() => parseRoutes({ routes: [route, route] }), /duplicate route name same/);
    assert.throws(() => readRouteFile('/nonexistent/routes.yaml'), RouteConfigError);
  });
});
