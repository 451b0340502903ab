import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { TEST_REDIS_URL } from '../support/databases.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { eventually, sleep, testVaultEnv } from './support.js';
import { entrypoint } from '../support/entrypoints.js';

/**
 * The edge as its own process (`main.js edge`, as in Kubernetes) with SECRETS_PROVIDER=vault:
 * the runbook's "Vault Sealed" step 4 greps this process's log for vault lines, and edge
 * verification must go on through a seal.
 */
describe('auth-edge-service as a Vault client', () => {
  let standin: VaultStandin;
  let ts: TestTokenService;
  let edge: ChildProcess;
  let edgeUrl: string;
  let token: string;
  const output: string[] = [];
  const log = () => output.join('');

  before(async () => {
    standin = await VaultStandin.start();
    // The edge's Redis credentials live in Vault (KV v2 write: PUT /v1/<mount>/data/<path>).
    const put = await fetch(`${standin.addr}/v1/secret/data/auth-platform/edge/redis`, {
      method: 'POST',
      headers: { 'x-vault-token': standin.rootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { url: TEST_REDIS_URL } }),
    });
    assert.equal(put.status, 200);
    // Where token-service keeps the revocation feed token (on Vault it writes it there itself); the edge reads it.
    const feedToken = randomBytes(32).toString('base64url');
    const feed = await fetch(`${standin.addr}/v1/secret/data/auth-platform/revocation-feed/token`, {
      method: 'POST',
      headers: { 'x-vault-token': standin.rootToken, 'content-type': 'application/json' },
      body: JSON.stringify({ data: { value: feedToken } }),
    });
    assert.equal(feed.status, 200);
    ts = await startTestTokenService({ env: { AUTH_REVOCATION_FEED_TOKEN: feedToken } });
    const client = await ts.createClient({ scopes: ['demo.read'], audiences: ['demo-api'] });
    token = (await ts.clientCredentials(client)).access_token;
    const port = await freePort();
    edgeUrl = `http://127.0.0.1:${port}`;
    edge = spawn(process.execPath, [...entrypoint('main'), 'edge'], {
      env: {
        ...process.env,
        LOG_LEVEL: 'info',
        EDGE_PORT: String(port),
        EDGE_TOKEN_SERVICE_URL: ts.url,
        EDGE_TOKEN_SERVICE_INTERNAL_URL: ts.internalUrl,
        EDGE_ISSUER: ts.issuer,
        ...testVaultEnv(standin, '3s'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    edge.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    edge.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    await eventually('the edge is up', async () => (await fetch(`${edgeUrl}/healthz`).catch(() => undefined))?.ok === true, 60_000);
  });
  after(async () => {
    edge?.kill('SIGTERM');
    await ts?.close();
    await standin?.close();
  });

  const verify = () => fetch(`${edgeUrl}/demo/anything`, { headers: { authorization: `Bearer ${token}` } });
  const readyz = async () => (await (await fetch(`${edgeUrl}/readyz`)).json()) as { dependencies: Record<string, { status: string }> };

  it('reports Vault in its readiness, and reads its Redis credentials and the revocation feed token from Vault', async () => {
    const ready = await readyz();
    assert.equal(ready.dependencies.secrets?.status, 'up');
    assert.equal(ready.dependencies.revocations?.status, 'up', 'the feed accepted the token read from Vault');
    assert.equal((await verify()).status, 200);
  });

  it('keeps verifying through a seal, logs the story under grep -i vault, and recovers after 3 of 5 unseal keys', async () => {
    standin.seal();
    await eventually('the edge logs the seal', () => /vault: sealed/i.test(log()));
    assert.equal((await readyz()).dependencies.secrets?.status, 'degraded');
    for (let i = 0; i < 20; i += 1) {
      assert.equal((await verify()).status, 200, 'verification needs no secret from Vault, so it never fails');
      await sleep(25);
    }
    for (const key of standin.unsealKeys.slice(0, 3)) {
      const response = await fetch(`${standin.addr}/v1/sys/unseal`, { method: 'POST', body: JSON.stringify({ key }) });
      assert.equal(response.status, 200);
    }
    await eventually('the edge logs the reconnect', () => /vault: connection restored/i.test(log()), 5_000);
    assert.equal((await readyz()).dependencies.secrets?.status, 'up');
    assert.doesNotMatch(log(), new RegExp(standin.rootToken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'the Vault token never reaches the log');
  });

  it('stays ready past the grace, since it verifies with no secret: degraded in /readyz and on /metrics, and /auth/verify still answers', async () => {
    standin.seal();
    await eventually('the grace is over', () => /vault: grace period over/.test(log()), 10_000);
    const ready = await fetch(`${edgeUrl}/readyz`);
    assert.equal(ready.status, 200, 'still in rotation: it can serve');
    const secrets = ((await ready.json()) as { dependencies: Record<string, { status: string; graceRemainingMs?: number; detail?: string }> }).dependencies.secrets;
    assert.equal(secrets?.status, 'degraded');
    assert.equal(secrets?.graceRemainingMs, 0);
    assert.match(String(secrets?.detail), /grace period is over; the edge needs no secret to serve/);
    const verified = await fetch(`${edgeUrl}/auth/verify`, {
      headers: { authorization: `Bearer ${token}`, 'x-original-method': 'GET', 'x-original-uri': '/demo/anything', 'x-original-host': new URL(edgeUrl).host },
    });
    assert.equal(verified.status, 200);
    assert.equal((await verify()).status, 200);
    const metrics = await (await fetch(`${edgeUrl}/metrics`)).text();
    assert.match(metrics, /^vault_up\{service="auth-edge"\} 0$/m);
    assert.match(metrics, /^vault_sealed\{service="auth-edge"\} 1$/m);
    assert.match(metrics, /^vault_grace_remaining_seconds\{service="auth-edge"\} 0$/m);
    for (const key of standin.unsealKeys.slice(0, 3)) await fetch(`${standin.addr}/v1/sys/unseal`, { method: 'POST', body: JSON.stringify({ key }) });
    await eventually('up again', async () => (await readyz()).dependencies.secrets?.status === 'up', 5_000);
  });
});
