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
    assert.equal(config.trustProxy, false);
  });

  it('reads every variable and turns rate limits off with "off"', () => {
    const config = readEdgeConfig(new EnvReader({
      EDGE_TOKEN_SERVICE_URL: 'http://token-service:8080/',
      EDGE_ISSUER: 'https://issuer.example',
      EDGE_CLOCK_SKEW: '5s',
      EDGE_RATE_LIMIT_IP: 'off',
      EDGE_RATE_LIMIT_SUBJECT: '10/1s',
      EDGE_TRUST_PROXY: 'true',
    }));
    assert.equal(config.tokenServiceUrl, 'http://token-service:8080');
    assert.equal(config.jwksUrl, 'http://token-service:8080/.well-known/jwks.json');
    assert.equal(config.issuer, 'https://issuer.example');
    assert.equal(config.clockSkewMs, 5000);
    assert.equal(config.rateLimitPerIp, undefined);
    assert.deepEqual(config.rateLimitPerSubject, { capacity: 10, windowMs: 1000 });
    assert.equal(config.trustProxy, true);
  });

  it('names every bad variable at once', () => {
    assert.throws(
      () => loadConfig({ EDGE_PORT: 'http', EDGE_RATE_LIMIT_IP: 'lots', EDGE_MAX_TOKEN_BYTES: '10', EDGE_ADMIN_TOKEN: 'short' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        const names = error.problems.map((p) => p.variable).sort();
        assert.deepEqual(names, ['EDGE_ADMIN_TOKEN', 'EDGE_MAX_TOKEN_BYTES', 'EDGE_PORT', 'EDGE_RATE_LIMIT_IP']);
        assert.doesNotMatch(error.message, /short/, 'a secret is never echoed');
        return true;
      },
    );
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
      stripPrefix: false,
      timeoutMs: 5000,
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

  it('refuses duplicate route names and unreadable files', () => {
    const route = { name: 'same', policy: { anonymous: true } };
    assert.throws(() => parseRoutes({ routes: [route, route] }), /duplicate route name same/);
    assert.throws(() => readRouteFile('/nonexistent/routes.yaml'), RouteConfigError);
  });
});
