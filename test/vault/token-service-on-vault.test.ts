import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { VaultClient, VaultHttp, VaultProvider } from '../../src/secrets/index.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, eventually, sleep, testVaultConfig } from './support.js';

const GRACE_MS = 3_000;

/**
 * token-service running on the Vault provider (over the stand-in): the "Done when" of the
 * issue at the HTTP level — a seal in the middle of token issuance, /readyz and the 503
 * `secrets_unavailable` after the grace, recovery within 5 s of an unseal, and tokens from
 * before and after a rotation of the KV-stored keys all verifying against the JWKS.
 */
describe('token-service with its secrets in Vault', () => {
  let standin: VaultStandin;
  let provider: VaultProvider;
  let ts: TestTokenService;
  let client: TestClient;
  const log = capturedLogger();

  before(async () => {
    standin = await VaultStandin.start();
    provider = await VaultProvider.start({ config: testVaultConfig(standin, { gracePeriodMs: GRACE_MS }), logger: log.logger });
    ts = await startTestTokenService({ secrets: provider });
    client = await ts.createClient({ scopes: ['read'], audiences: ['https://api.example'] });
  });
  after(async () => {
    await ts.close();
    await provider.close();
    await standin.close();
  });

  async function issue(): Promise<Response> {
    return ts.form('/oauth2/token', { grant_type: 'client_credentials', scope: 'read' }, client);
  }

  async function readyz(): Promise<{ status: number; body: { status: string; dependencies: Record<string, Record<string, unknown>> }; text: string }> {
    const response = await fetch(`${ts.url}/readyz`);
    const text = await response.text();
    return { status: response.status, body: JSON.parse(text), text };
  }

  it('keeps its signing keys in KV v2, and tokens from before and after a rotation all verify', async () => {
    const before = (await (await issue()).json()) as { access_token: string };
    const rotated = (await (await ts.admin('POST', '/admin/keys/rotate', { publishLeadSeconds: 0 })).json()) as { kid: string };
    assert.ok(standin.state.kv.has(`auth-platform/jwt/signing-keys/${rotated.kid}`), 'the new key is in Vault');
    const afterRotation = (await (await issue()).json()) as { access_token: string };
    const jwks = createRemoteJWKSet(new URL(`${ts.url}/.well-known/jwks.json`));
    const kids = new Set<string>();
    for (const token of [before.access_token, afterRotation.access_token]) {
      const { protectedHeader } = await jwtVerify(token, jwks, { issuer: ts.issuer, audience: 'https://api.example' });
      kids.add(String(protectedHeader.kid));
    }
    assert.equal(kids.size, 2, 'signed by the old and the new key');
  });

  it('issues tokens through a seal until the grace ends, then answers 503 secrets_unavailable, and recovers within 5 s of an unseal', async () => {
    let running = true;
    const counts = { ok: 0, failed: 0 };
    const load = (async () => {
      while (running) {
        const response = await issue();
        if (response.status === 200) counts.ok += 1;
        else counts.failed += 1;
        await response.arrayBuffer();
        await sleep(10);
      }
    })();
    await sleep(100);
    standin.seal();
    await eventually('degraded', async () => (await readyz()).body.dependencies.secrets?.status === 'degraded', GRACE_MS);
    const degraded = await readyz();
    assert.equal(degraded.status, 200, 'degraded is still ready');
    assert.ok(Number(degraded.body.dependencies.secrets?.graceRemainingMs) > 0);
    running = false;
    await load;
    assert.equal(counts.failed, 0, 'no token request failed during the grace');
    assert.ok(counts.ok > 0);

    await eventually('not ready after the grace', async () => (await readyz()).status === 503, GRACE_MS + 3_000);
    const refused = await issue();
    assert.equal(refused.status, 503);
    assert.equal(((await refused.json()) as { error: string }).error, 'secrets_unavailable');

    const operator = new VaultClient(new VaultHttp({ addr: standin.addr, timeoutMs: 1_000 }), { token: () => undefined, reauthenticate: async () => false });
    for (const key of standin.unsealKeys.slice(1, 4)) await operator.unseal(key);
    await operator.close();
    const since = Date.now();
    await eventually('tokens again', async () => (await issue()).status === 200, 5_000);
    await eventually('ready again', async () => (await readyz()).status === 200, 5_000);
    assert.ok(Date.now() - since <= 5_000);
    assert.ok(log.lines.some((l) => l.includes('vault: connection restored')));
  });

  it('shows no secret in /readyz or the logs', async () => {
    const { text } = await readyz();
    const everything = [text, log.text(), ts.logs.join('\n')].join('\n');
    for (const secret of [standin.rootToken, ...standin.unsealKeys, ts.adminToken]) assert.ok(!everything.includes(secret));
    for (const versions of standin.state.kv.values()) {
      for (const value of Object.values(versions.at(-1)?.data ?? {})) {
        if (String(value).length >= 16) assert.ok(!everything.includes(String(value)), 'a KV value leaked');
      }
    }
  });
});
