import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';
import { writeDevelopmentCertificates } from '../../src/mesh/index.js';
import { runAuthctl } from '../support/authctl.js';
import { createTestSchema, databaseUrlForSchema } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { startPlatform, type StartedPlatform } from '../support/platform-process.js';
import { basicAuth } from '../support/token-service.js';

/** The first capture of `pattern` in the banner line containing `marker`. */
function fromBannerLine(banner: string, marker: string, pattern: RegExp): string {
  const line = banner.split('\n').find((l) => l.includes(marker));
  const value = line === undefined ? undefined : pattern.exec(line)?.[1];
  assert.ok(value !== undefined, `no ${pattern} in the banner line with ${marker}:\n${banner}`);
  return value;
}

/**
 * docs/mesh.md: `authctl certs issue`, then `MESH=native npm start`. The listeners serve TLS, so
 * what the platform derives (issuer, the edge's URLs of token-service) and what it prints (the
 * banner, its curls) must be https, and authctl, run with the same environment, must get in.
 */
describe('MESH=native npm start, as docs/mesh.md runs it', () => {
  let dataDir: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let platform: StartedPlatform;
  let env: Record<string, string>;
  const ports = { public: 0, internal: 0, edge: 0 };

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'native-start-'));
    schema = await createTestSchema();
    const certDir = join(dataDir, 'certs');
    await writeDevelopmentCertificates({
      dir: certDir, trustDomain: 'cluster.local', namespace: 'auth-platform', validityDays: 90,
      serviceAccounts: ['token-service', 'auth-edge-service', 'authctl'],
    });
    ports.public = await freePort();
    ports.internal = await freePort();
    ports.edge = await freePort();
    env = {
      MESH: 'native', MESH_CERT_DIR: certDir, AUTH_DATA_DIR: dataDir, LOG_LEVEL: 'warn',
      // PostgreSQL rather than the embedded PGlite only to start in seconds: the mesh behaves the same.
      DATABASE_URL: databaseUrlForSchema(schema.schema),
      TOKEN_SERVICE_PORT: String(ports.public), TOKEN_SERVICE_INTERNAL_PORT: String(ports.internal), EDGE_PORT: String(ports.edge),
    };
    platform = await startPlatform(env);
  });
  after(async () => {
    await platform?.stop();
    await schema?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('says it is up, on https URLs, because both services report ready', () => {
    assert.match(platform.banner, /^auth-platform is up\.$/m);
    assert.match(platform.banner, new RegExp(`^  token-service\\s+https://127\\.0\\.0\\.1:${ports.public}\\s+ready\\b`, 'm'));
    assert.match(platform.banner, new RegExp(`^  edge\\s+https://127\\.0\\.0\\.1:${ports.edge}\\s+ready\\b`, 'm'));
  });

  it('prints curls that work: the token they get from token-service is accepted by the edge', async () => {
    const tokenUrl = fromBannerLine(platform.banner, '/oauth2/token', /\s(https:\/\/\S+\/oauth2\/token)\b/);
    const secretFile = fromBannerLine(platform.banner, '/oauth2/token', /-u demo:\$\(cat (\S+)\)/);
    const tokenCa = fromBannerLine(platform.banner, '/oauth2/token', /--cacert (\S+)/);
    const demoUrl = fromBannerLine(platform.banner, '/demo/hello', /\s(https:\/\/\S+\/demo\/hello)\b/);
    const demoCa = fromBannerLine(platform.banner, '/demo/hello', /--cacert (\S+)/);

    // What curl does with those flags: trust the CA, present no client certificate.
    const tokenAgent = new Agent({ connect: { ca: await readFile(tokenCa) } });
    const demoAgent = new Agent({ connect: { ca: await readFile(demoCa) } });
    try {
      const secret = (await readFile(secretFile, 'utf8')).trim();
      const issued = await fetch(tokenUrl, {
        method: 'POST',
        headers: { authorization: basicAuth({ client_id: 'demo', client_secret: secret }), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
        dispatcher: tokenAgent,
      });
      assert.equal(issued.status, 200, await issued.clone().text());
      const { access_token: token } = (await issued.json()) as { access_token: string };

      const called = await fetch(demoUrl, { headers: { authorization: `Bearer ${token}` }, dispatcher: demoAgent });
      const body = await called.text();
      assert.equal(called.status, 200, body);
      assert.equal((JSON.parse(body) as { identity: { clientId: string } }).identity.clientId, 'demo');
    } finally {
      await tokenAgent.close();
      await demoAgent.close();
    }
  });

  it('authctl status, run with the same environment, presents its certificate and finds both services ready', async () => {
    const status = await runAuthctl(env, 'status', '--json');
    assert.equal(status.code, 0, status.stdout + status.stderr);
    const report = JSON.parse(status.stdout) as Record<string, { status: string; url: string }>;
    assert.deepEqual(
      [report['token-service'], report['auth-edge-service']].map((s) => [s?.status, s?.url]),
      [['ready', `https://127.0.0.1:${ports.internal}`], ['ready', `https://127.0.0.1:${ports.edge}`]],
    );
  });

  it('authctl refuses a server that does not carry the identity it asked for, before sending the admin token', async () => {
    // The edge's certificate chains to our CA and names 127.0.0.1, but its SPIFFE ID is the edge's.
    const edgeUrl = `https://127.0.0.1:${ports.edge}`;
    const result = await runAuthctl({ ...env, AUTHCTL_URL: edgeUrl }, 'keys', 'list');
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`cannot reach token-service internal API at ${edgeUrl}: .*spiffe://cluster\\.local/ns/auth-platform/sa/auth-edge-service`));
  });

  it('authctl status names the URL it could not reach', async () => {
    const closed = await freePort();
    const status = await runAuthctl({ ...env, EDGE_PORT: String(closed) }, 'status');
    assert.equal(status.code, 1);
    assert.match(status.stdout, new RegExp(`cannot reach auth-edge-service at https://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`));
  });
});
