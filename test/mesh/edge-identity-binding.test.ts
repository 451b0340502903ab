import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, fetch } from 'undici';
import { createEdgeService, startDemoUpstream, type DemoUpstream, type EdgeService } from '../../src/edge/index.js';
import { createMesh, writeDevelopmentCertificates, type Mesh } from '../../src/mesh/index.js';
import { createServiceMetrics, loadConfig, Readiness, SERVICE_ACCOUNTS } from '../../src/platform/index.js';
import { MemoryRateLimiter } from '../../src/store/index.js';
import { freePort } from '../support/free-port.js';
import { capturingLogger } from '../support/log-capture.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

const spiffe = (sa: string) => `spiffe://cluster.local/ns/auth-platform/sa/${sa}`;

describe('the edge admits an identity-bound token only from its workload', () => {
  const dir = mkdtempSync(join(tmpdir(), 'edge-binding-'));
  let ts: TestTokenService;
  let mesh: Mesh;
  let edge: EdgeService;
  let edgeUrl: string;
  let upstream: DemoUpstream;
  let boundToken: string;
  let plainToken: string;
  const agents: Agent[] = [];
  const as = (serviceAccount?: string) => {
    const ca = readFileSync(join(dir, 'ca.crt'));
    const agent = new Agent({
      connect: serviceAccount === undefined
        ? { ca }
        : { ca, cert: readFileSync(join(dir, `${serviceAccount}.crt`)), key: readFileSync(join(dir, `${serviceAccount}.key`)) },
    });
    agents.push(agent);
    return agent;
  };

  before(async () => {
    await writeDevelopmentCertificates({
      dir, trustDomain: 'cluster.local', namespace: 'auth-platform', validityDays: 1,
      serviceAccounts: ['token-service', 'auth-edge-service', 'authctl', 'billing-worker', 'other-worker'],
    });
    ts = await startTestTokenService({ env: { MESH: 'native', MESH_CERT_DIR: dir } });
    const mint = async (fields: Record<string, unknown>, caller: string) => {
      const created = await fetch(`${ts.internalUrl}/admin/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'worker', scopes: ['read'], audiences: ['api'], ...fields }),
        dispatcher: as('authctl'),
      });
      const client = (await created.json()) as { client_id: string; client_secret: string };
      const response = await fetch(`${ts.url}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id, client_secret: client.client_secret }).toString(),
        dispatcher: as(caller),
      });
      assert.equal(response.status, 200);
      return ((await response.json()) as { access_token: string }).access_token;
    };
    boundToken = await mint({ bound_identity: spiffe('billing-worker'), token_endpoint_auth_method: 'client_secret_post' }, 'billing-worker');
    plainToken = await mint({ token_endpoint_auth_method: 'client_secret_post' }, 'other-worker');

    upstream = await startDemoUpstream();
    const port = await freePort();
    const config = loadConfig({
      MESH: 'native', MESH_CERT_DIR: dir, EDGE_PORT: String(port),
      EDGE_TOKEN_SERVICE_URL: ts.url, EDGE_TOKEN_SERVICE_INTERNAL_URL: ts.internalUrl, EDGE_ISSUER: ts.issuer,
    });
    const { logger } = capturingLogger('auth-edge-service');
    const metrics = createServiceMetrics('auth-edge', { defaultMetrics: false });
    const readiness = new Readiness();
    mesh = await createMesh({ config: config.mesh, serviceAccount: SERVICE_ACCOUNTS.edge, logger, metrics, readiness });
    edge = createEdgeService({
      config: config.edge, logger, bus: ts.store.bus, rateLimiter: new MemoryRateLimiter(), mesh, metrics, readiness,
      tokenServiceDispatcher: mesh.createClient({ expectedServer: mesh.workloads(SERVICE_ACCOUNTS.tokenService) })!,
      routes: [{ name: 'api', pathPrefix: '/api', upstream: upstream.url, policy: { audience: 'api', scopes: ['read'] } }],
    });
    edgeUrl = await edge.start();
  });
  after(async () => {
    await edge?.close();
    mesh?.close();
    await upstream?.close();
    await Promise.all(agents.map((a) => a.close()));
    await ts?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = (token: string, caller?: string) =>
    fetch(`${edgeUrl}/api/orders`, { headers: { authorization: `Bearer ${token}` }, dispatcher: as(caller) });

  test('a bound token presented by its own workload reaches the upstream', async () => {
    assert.ok(edgeUrl.startsWith('https://'), 'under native mTLS the edge listens with TLS');
    const response = await call(boundToken, 'billing-worker');
    assert.equal(response.status, 200);
  });

  test('a bound token presented by another workload, or with no certificate, is refused', async () => {
    for (const caller of ['other-worker', undefined]) {
      const response = await call(boundToken, caller);
      assert.equal(response.status, 401, `caller ${caller ?? 'without certificate'}`);
      assert.equal(response.headers.get('x-auth-error'), 'token_identity_mismatch');
      assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token/);
    }
  });

  test('an unbound token is admitted from any caller', async () => {
    assert.equal((await call(plainToken, 'other-worker')).status, 200);
    assert.equal((await call(plainToken)).status, 200);
  });
});
