import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig, type Config } from '../../src/platform/index.js';
import { runEdge, runTokenService, type Closers } from '../../src/run-services.js';
import type { TokenService } from '../../src/token-service/index.js';
import { freePort } from '../support/free-port.js';
import { basicAuth, type TestClient, type TokenResponse } from '../support/token-service.js';
import { loadPolicyFiles, VaultStandin } from '../support/vault-standin/index.js';
import { databaseFixture, eventually, sleep } from './support.js';

const ADMIN_TOKEN = 'admin-token-for-the-services-on-vault-test';

/**
 * token-service as `main.js` wires it (run-services), on the Vault stand-in with the shipped
 * token-service policy and dynamic PostgreSQL credentials (real roles, dropped on revocation,
 * their sessions terminated as Vault's revocation statements do), then the edge beside it as
 * `npm start` runs them.
 */
describe('the services as main.js runs them, on Vault with the shipped policies', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;
  let dataDir: string;
  let config: Config;
  let service: TokenService;
  let url: string;
  let internalUrl: string;
  const closers: Closers = [];

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 120, maxTtlS: 600 }, { actAsGroup: true });
    standin = await VaultStandin.start({
      databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role }, policies: loadPolicyFiles('deploy/vault/policies'),
    });
    dataDir = mkdtempSync(join(tmpdir(), 'services-on-vault-'));
    const [port, internalPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    url = `http://127.0.0.1:${port}`;
    internalUrl = `http://127.0.0.1:${internalPort}`;
    config = loadConfig({
      LOG_LEVEL: 'error',
      AUTH_DATA_DIR: dataDir,
      AUTH_ISSUER: url,
      AUTH_ADMIN_TOKEN: ADMIN_TOKEN,
      AUTH_KEY_PUBLISH_LEAD: '0s',
      AUTH_FAILED_AUTH_LIMIT: '100000',
      TOKEN_SERVICE_PORT: String(port),
      TOKEN_SERVICE_INTERNAL_PORT: String(internalPort),
      EDGE_PORT: String(edgePort),
      DATABASE_URL: fixture.serviceUrl,
      SECRETS_PROVIDER: 'vault',
      VAULT_ADDR: standin.addr,
      // `vault token create -policy=token-service`: what the shipped policy allows, and no more.
      VAULT_TOKEN: standin.createToken(['token-service']),
      VAULT_DB_ROLE: 'token-service',
      // Far beyond the test: only PostgreSQL refusing the credentials can replace a revoked lease in time.
      VAULT_LEASE_CHECK_INTERVAL: '10m',
    });
    service = await runTokenService(config, closers);
  });
  after(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await standin?.close();
    await fixture?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const admin = (method: string, path: string, body?: unknown) =>
    fetch(internalUrl + path, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const tokenRequest = (client: TestClient, params: Record<string, string>) =>
    fetch(`${url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
      body: new URLSearchParams(params).toString(),
    });
  async function createClient(): Promise<TestClient> {
    const response = await admin('POST', '/admin/clients', {
      name: 'load', scopes: ['demo.read'], audiences: ['demo-api'], grant_types: ['client_credentials', 'refresh_token'],
    });
    assert.equal(response.status, 201);
    return (await response.json()) as TestClient;
  }
  async function metrics(base: string): Promise<string> {
    return (await fetch(`${base}/metrics`)).text();
  }

  it('puts the Vault metrics on its /metrics, where the runbook says to watch them', async () => {
    const text = await metrics(url);
    for (const name of ['vault_up', 'vault_sealed', 'vault_grace_remaining_seconds', 'vault_lease_renewals_total', 'vault_credential_rotations_total', 'vault_token_renewals_total']) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, 'm'), `${name} on token-service's /metrics`);
    }
    assert.match(text, /^vault_up\{service="token-service"\} 1$/m);
  });

  it('fails no token request when its database lease is revoked from outside (runbook: Secret Rotation Failure, step 3)', async () => {
    const clients = await Promise.all([createClient(), createClient(), createClient()]);
    const pairs = await Promise.all(clients.map(async (client) => {
      const response = await admin('POST', '/internal/tokens', { subject: 'user-1', client_id: client.client_id, scope: 'demo.read' });
      assert.equal(response.status, 200);
      return (await response.json()) as TokenResponse;
    }));
    const failures: string[] = [];
    const readinessSeen = new Set<string>();
    let requests = 0;
    let running = true;
    // Each client rotates its own refresh token (a write transaction per request) and asks for
    // client_credentials tokens: every request after the revocation needs the database.
    const chains = clients.map(async (client, i) => {
      let refreshToken = pairs[i]!.refresh_token!;
      while (running) {
        const refreshed = await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: refreshToken });
        const body = (await refreshed.json()) as TokenResponse & { error?: string };
        if (refreshed.status === 200) refreshToken = body.refresh_token!;
        else failures.push(`refresh: ${refreshed.status} ${body.error}`);
        const issued = await tokenRequest(client, { grant_type: 'client_credentials' });
        if (issued.status !== 200) failures.push(`client_credentials: ${issued.status} ${await issued.text()}`);
        else await issued.arrayBuffer();
        requests += 2;
        if (requests % 20 === 0) {
          const ready = (await (await fetch(`${url}/readyz`)).json()) as { dependencies: { database?: { status: string } } };
          readinessSeen.add(ready.dependencies.database?.status ?? 'missing');
        }
      }
    });
    await eventually('load running', () => requests >= 60);
    const [leaseId] = standin.leaseIds();
    await standin.revokeLease(leaseId!);
    await eventually('new database credentials', () => standin.leaseIds().length === 1 && standin.leaseIds()[0] !== leaseId);
    const atSwap = requests;
    await eventually('load after the swap', () => requests >= Math.max(400, atSwap + 100), 60_000);
    running = false;
    await Promise.all(chains);
    await sleep(50);

    assert.deepEqual(failures, [], `${failures.length} of ${requests} token requests failed`);
    assert.deepEqual([...readinessSeen], ['up'], '/readyz never said database: down');
    assert.match(await metrics(url), /^vault_credential_rotations_total\{reason="rejected",service="token-service"\} 1$/m,
      'replaced because PostgreSQL refused the revoked role, not at the next lease check');
  });

  it('starts the edge beside it in one process (npm start) with the token-service policy alone, and verifies', async () => {
    const edgeUrl = await runEdge(config, closers, {
      cache: service.context.store, revocationFeedToken: service.revocationFeedToken, secrets: service.context.secrets,
    });
    const client = await createClient();
    const issued = await tokenRequest(client, { grant_type: 'client_credentials', scope: 'demo.read', audience: 'demo-api' });
    const { access_token: token } = (await issued.json()) as TokenResponse;
    const proxied = await fetch(`${edgeUrl}/demo/hello`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(proxied.status, 200);
    const ready = (await (await fetch(`${edgeUrl}/readyz`)).json()) as { dependencies: Record<string, { status: string }> };
    assert.equal(ready.dependencies.secrets?.status, 'up');
  });
});
