import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { TestTokenService } from '../support/token-service.js';
import { runAuthctl, startAuthctlTarget } from '../support/authctl.js';

describe('authctl keys, audit and status against the admin API', () => {
  let ts: TestTokenService;
  let env: Record<string, string>;
  before(async () => {
    ({ ts, env } = await startAuthctlTarget());
  });
  after(() => ts.close());

  test('keys rotate --retire-now leaves one active key and retires the rest', async () => {
    const before = JSON.parse((await runAuthctl(env, 'keys', 'list', '--json')).stdout) as { keys: Array<{ kid: string }> };
    const rotated = await runAuthctl(env, 'keys', 'rotate', '--retire-now', '--json');
    assert.equal(rotated.code, 0, rotated.stderr);
    const result = JSON.parse(rotated.stdout) as { kid: string; retired: string[] };
    assert.deepEqual(result.retired.sort(), before.keys.map((k) => k.kid).sort());
    const after = JSON.parse((await runAuthctl(env, 'keys', 'list', '--json')).stdout) as { keys: Array<{ kid: string; state: string }> };
    assert.deepEqual(after.keys.map((k) => [k.kid, k.state]), [[result.kid, 'active']]);
  });

  test('audit verify exits 0 on an intact log and lists the actions taken', async () => {
    const verified = await runAuthctl(env, 'audit', 'verify');
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /intact/);
    const listed = JSON.parse((await runAuthctl(env, 'audit', 'list', '--event', 'key_rotated', '--json')).stdout) as { entries: unknown[] };
    assert.ok(listed.entries.length >= 1);
  });

  test('status exits 1 when a service is unreachable, and reports the token-service dependencies', async () => {
    const status = await runAuthctl(env, 'status', '--json');
    assert.equal(status.code, 1);
    const report = JSON.parse(status.stdout) as Record<string, { status: string; dependencies?: Record<string, unknown> }>;
    assert.equal(report['token-service']!.status, 'ready');
    assert.ok(report['token-service']!.dependencies!.signing_key);
    assert.equal(report['auth-edge-service']!.status, 'unreachable');
  });

  test('a wrong admin token is refused with the API code, not a stack trace', async () => {
    const result = await runAuthctl({ ...env, AUTH_ADMIN_TOKEN: 'x'.repeat(43) }, 'keys', 'list');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /admin_unauthorized/);
    assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
  });
});
