import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { loadConfig } from '../../src/platform/index.js';
import { runEdge, type Closers } from '../../src/run-services.js';
import { VaultProvider } from '../../src/secrets/index.js';
import { entrypoint } from '../support/entrypoints.js';
import { freePort } from '../support/free-port.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';
import { VaultStandin } from '../support/vault-standin/index.js';
import { capturedLogger, databaseFixture, eventually, testVaultConfig, testVaultEnv } from '../vault/support.js';

const run = promisify(execFile);
const GRACE_MS = 120_000;
const NOWHERE = 'http://127.0.0.1:9';

/**
 * The runbook's first step in a Vault outage, "our view first: how much grace is left", and the
 * lease each service holds: both must come from the services, since Vault may not answer.
 * token-service runs on a Vault provider holding a database lease; the edge runs as `main.js edge`
 * wires it, on Vault too.
 */
describe('authctl vault status and leases list: our view, whatever Vault does', () => {
  let fixture: Awaited<ReturnType<typeof databaseFixture>>;
  let standin: VaultStandin;
  let provider: VaultProvider;
  let ts: TestTokenService;
  let edgeUrl: string;
  const closers: Closers = [];

  before(async () => {
    fixture = await databaseFixture({ defaultTtlS: 600, maxTtlS: 3600 });
    standin = await VaultStandin.start({ databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role } });
    provider = await VaultProvider.start({
      config: testVaultConfig(standin, { databaseRole: 'token-service', gracePeriodMs: GRACE_MS }), logger: capturedLogger().logger,
    });
    ts = await startTestTokenService({ secrets: provider });
    edgeUrl = await runEdge(loadConfig({
      LOG_LEVEL: 'error',
      EDGE_PORT: String(await freePort()),
      EDGE_TOKEN_SERVICE_URL: ts.url,
      EDGE_TOKEN_SERVICE_INTERNAL_URL: ts.internalUrl,
      EDGE_ISSUER: ts.issuer,
      ...testVaultEnv(standin, `${GRACE_MS / 1000}s`),
    }), closers);
  });
  after(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await ts?.close();
    await provider?.close();
    await standin?.close();
    await fixture?.drop();
  });

  async function authctl(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
    const fullEnv = {
      ...process.env, VAULT_ADDR: standin.addr, VAULT_TOKEN: standin.rootToken,
      AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_URL: ts.internalUrl, AUTHCTL_EDGE_URL: edgeUrl, ...env,
    };
    try {
      const { stdout, stderr } = await run(process.execPath, [...entrypoint('ctl/main'), ...args], { env: fullEnv });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  it('leases list: the lease token-service holds, its TTL and last renewal, and that the edge holds none', async () => {
    const [leaseId] = standin.leaseIds();
    const listed = await authctl(['leases', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    const row = new RegExp(`^token-service\\s+${leaseId!.replace(/[/.]/g, '\\$&')}\\s+${provider.database!.current().user}\\s+(\\d+)s\\s+\\S+\\s+never$`, 'm').exec(listed.stdout);
    assert.ok(row, listed.stdout);
    assert.ok(Number(row[1]) > 500, 'the TTL left');
    assert.match(listed.stdout, /^auth-edge-service\s+holds no lease \(the edge takes no database credentials\)/m);
    assert.ok(!listed.stdout.includes(provider.database!.current().password), 'never the password');
  });

  it('vault status with Vault unreachable: each service says how much grace is left, and the command says Vault is unreachable', async () => {
    await standin.refuseConnections();
    try {
      await eventually('token-service sees the outage', () => provider.status().status === 'degraded');
      await eventually('the edge sees the outage', async () => ((await (await fetch(`${edgeUrl}/readyz`)).json()) as { dependencies: { secrets: { status: string } } }).dependencies.secrets.status === 'degraded');
      const status = await authctl(['vault', 'status']);
      assert.equal(status.code, 1, 'Vault does not answer');
      assert.match(status.stdout, new RegExp(`^Vault at ${standin.addr}: unreachable \\(.*connection refused\\)$`, 'm'));
      assert.match(status.stdout, /^token-service\s+degraded\s+grace left \d+m\d*s?\s+\(Vault is unreachable \(refused\)/m);
      assert.match(status.stdout, /^auth-edge-service\s+degraded\s+grace left \d+m/m);

      const listed = await authctl(['leases', 'list'], { AUTHCTL_EDGE_URL: NOWHERE });
      assert.equal(listed.code, 1, 'one service could not be asked');
      assert.match(listed.stdout, /^token-service\s+database\/creds\/token-service\//m, 'the lease is known without Vault');
      assert.match(listed.stdout, new RegExp(`^auth-edge-service\\s+unreachable: cannot reach ${NOWHERE}/readyz`, 'm'));
    } finally {
      await standin.heal();
    }
  });

  it('vault status says plainly when a service does not use Vault, and names the URL it could not reach', async () => {
    const local = await startTestTokenService();
    try {
      const status = await authctl(['vault', 'status'], { AUTHCTL_URL: local.internalUrl, AUTHCTL_EDGE_URL: NOWHERE });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^Health\s+200 \(active\)$/m);
      assert.match(status.stdout, /^token-service\s+does not use Vault \(local secrets provider\)$/m);
      assert.match(status.stdout, new RegExp(`^auth-edge-service\\s+unreachable: cannot reach ${NOWHERE}/readyz`, 'm'));
      const listed = await authctl(['leases', 'list'], { AUTH_ADMIN_TOKEN: local.adminToken, AUTHCTL_URL: local.internalUrl });
      assert.match(listed.stdout, /^token-service\s+does not use Vault \(local secrets provider\)/m);
    } finally {
      await local.close();
    }
  });
});
