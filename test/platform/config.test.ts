import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, parseDuration } from '../../src/platform/index.js';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected loadConfig to throw');
}

describe('configuration', () => {
  test('an empty environment gives the documented defaults', () => {
    const config = loadConfig({});
    assert.equal(config.platform.logLevel, 'info');
    assert.equal(config.platform.dataDir, './data');
    assert.equal(config.platform.databaseUrl, undefined);
    assert.equal(config.platform.redisUrl, undefined);
    assert.equal(config.platform.secretsProvider, 'local');
    assert.equal(config.platform.masterKey, undefined);
    assert.equal(config.platform.shutdownGraceMs, 10_000);
    assert.equal(config.tokenService.port, 8080);
    assert.equal(config.tokenService.issuer, 'http://127.0.0.1:8080');
    assert.equal(config.tokenService.signingAlg, 'ES256');
    assert.equal(config.tokenService.accessTokenTtlMs, 10 * 60_000);
    assert.equal(config.tokenService.refreshTokenTtlMs, 30 * 86_400_000);
    assert.equal(config.tokenService.keyRotationIntervalMs, 30 * 86_400_000);
    assert.equal(config.tokenService.keyPublishLeadMs, 3_600_000);
    assert.equal(config.tokenService.keyRetentionMs, 86_400_000);
    assert.equal(config.tokenService.adminToken, undefined);
    assert.equal(config.tokenService.failedAuthLimit, 10);
    assert.equal(config.tokenService.failedAuthAddressLimit, 100);
    assert.equal(config.tokenService.bodyLimitBytes, 65_536);
    assert.equal(config.vault, undefined);
  });

  test('an empty variable counts as unset', () => {
    assert.equal(loadConfig({ TOKEN_SERVICE_PORT: '', LOG_LEVEL: '' }).tokenService.port, 8080);
  });

  test('valid values are parsed and typed', () => {
    const config = loadConfig({
      TOKEN_SERVICE_PORT: '9001', AUTH_SIGNING_ALG: 'EdDSA', AUTH_ACCESS_TOKEN_TTL: '5m', AUTH_REFRESH_TOKEN_TTL: '12h',
      AUTH_KEY_ROTATION_INTERVAL: 'off', AUTH_KEY_PUBLISH_LEAD: '250ms', LOG_LEVEL: 'debug', AUTH_DEMO_CLIENT: 'no',
      DATABASE_URL: 'postgres://u:p@db.example:5432/auth', AUTH_ISSUER: 'https://auth.example/',
      AUTH_ADMIN_TOKEN: 'a'.repeat(32), AUTH_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    });
    assert.equal(config.tokenService.port, 9001);
    assert.equal(config.tokenService.signingAlg, 'EdDSA');
    assert.equal(config.tokenService.accessTokenTtlMs, 300_000);
    assert.equal(config.tokenService.refreshTokenTtlMs, 43_200_000);
    assert.equal(config.tokenService.keyRotationIntervalMs, 0);
    assert.equal(config.tokenService.keyPublishLeadMs, 250);
    assert.equal(config.tokenService.demoClient, false);
    assert.equal(config.tokenService.issuer, 'https://auth.example', 'a trailing slash is dropped from the issuer');
    assert.equal(config.platform.logLevel, 'debug');
    assert.equal(config.platform.databaseUrl, 'postgres://u:p@db.example:5432/auth');
    assert.equal(config.tokenService.adminToken, 'a'.repeat(32));
  });

  test('a bad variable gives a ConfigError that names it', () => {
    const error = configError({ TOKEN_SERVICE_PORT: '70000' });
    assert.deepEqual(error.problems.map((p) => p.variable), ['TOKEN_SERVICE_PORT']);
    assert.match(error.message, /TOKEN_SERVICE_PORT: must be at most 65535/);
  });

  test('several bad variables are all named in one error', () => {
    const error = configError({
      TOKEN_SERVICE_PORT: 'abc', AUTH_SIGNING_ALG: 'HS256', AUTH_ACCESS_TOKEN_TTL: 'soon', LOG_LEVEL: 'loud',
      AUTH_DEMO_CLIENT: 'maybe', DATABASE_POOL_SIZE: '0', REDIS_URL: 'not a url',
    });
    const named = error.problems.map((p) => p.variable).sort();
    assert.deepEqual(named, ['AUTH_ACCESS_TOKEN_TTL', 'AUTH_DEMO_CLIENT', 'AUTH_SIGNING_ALG', 'DATABASE_POOL_SIZE', 'LOG_LEVEL', 'REDIS_URL', 'TOKEN_SERVICE_PORT']);
    for (const variable of named) assert.match(error.message, new RegExp(`\\b${variable}:`));
    assert.match(error.message, /AUTH_SIGNING_ALG: must be one of ES256, EdDSA, RS256/);
  });

  test('a too-short AUTH_ADMIN_TOKEN is named and its value is never echoed', () => {
    const value = 'short-but-secret-value';
    const error = configError({ AUTH_ADMIN_TOKEN: value });
    assert.deepEqual(error.problems.map((p) => p.variable), ['AUTH_ADMIN_TOKEN']);
    assert.match(error.message, /AUTH_ADMIN_TOKEN: must be at least 32 characters/);
    assert.ok(!error.message.includes(value));
    assert.ok(!JSON.stringify(error.problems).includes(value));
    assert.ok(!String(error.stack).includes(value));
  });

  test('a bad AUTH_MASTER_KEY is named and never echoed, whether too short or the wrong length', () => {
    for (const value of ['tooshort', Buffer.alloc(40, 9).toString('base64')]) {
      const error = configError({ AUTH_MASTER_KEY: value });
      assert.deepEqual(error.problems.map((p) => p.variable), ['AUTH_MASTER_KEY']);
      assert.ok(!error.message.includes(value));
      assert.ok(!JSON.stringify(error.problems).includes(value));
    }
  });

  test('an invalid DATABASE_URL is named without echoing the credentials it may carry', () => {
    const error = configError({ DATABASE_URL: 'postgres://admin:hunter2-password@' });
    assert.deepEqual(error.problems.map((p) => p.variable), ['DATABASE_URL']);
    assert.ok(!error.message.includes('hunter2-password'));
  });

  test('key retention shorter than the access token lifetime is refused', () => {
    const error = configError({ AUTH_ACCESS_TOKEN_TTL: '1h', AUTH_KEY_RETENTION: '30m' });
    assert.deepEqual(error.problems.map((p) => p.variable), ['AUTH_KEY_RETENTION']);
  });

  test('an issuer with a query or fragment is refused (RFC 8414 §2)', () => {
    for (const issuer of ['https://auth.example/?tenant=a', 'https://auth.example/#x', 'https://auth.example/path?']) {
      assert.deepEqual(configError({ AUTH_ISSUER: issuer }).problems.map((p) => p.variable), ['AUTH_ISSUER'], issuer);
    }
    assert.equal(loadConfig({ AUTH_ISSUER: 'https://auth.example/tenant-a' }).tokenService.issuer, 'https://auth.example/tenant-a');
  });

  test('durations below their minimum are refused', () => {
    const error = configError({ AUTH_ACCESS_TOKEN_TTL: '500ms', AUTH_FAILED_AUTH_WINDOW: '0s' });
    assert.deepEqual(error.problems.map((p) => p.variable).sort(), ['AUTH_ACCESS_TOKEN_TTL', 'AUTH_FAILED_AUTH_WINDOW']);
  });

  test('a body limit below 1 KiB is refused', () => {
    assert.deepEqual(configError({ TOKEN_SERVICE_BODY_LIMIT: '10' }).problems.map((p) => p.variable), ['TOKEN_SERVICE_BODY_LIMIT']);
  });
});

describe('parseDuration', () => {
  test('parses every unit, a bare number as seconds, fractions and surrounding spaces', () => {
    assert.equal(parseDuration('250ms'), 250);
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('12h'), 43_200_000);
    assert.equal(parseDuration('30d'), 2_592_000_000);
    assert.equal(parseDuration('45'), 45_000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration(' 2 m '), 120_000);
    assert.equal(parseDuration('0s'), 0);
  });

  test('refuses anything else', () => {
    for (const text of ['', 'soon', '-5s', '5 minutes', '5w', '1e3s', 's', '5s5', '0x10s', 'Infinity']) {
      assert.equal(parseDuration(text), undefined, text);
    }
  });
});
