import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig, loadCtlConfig } from '../../src/platform/index.js';
import { runTokenService, type Closers } from '../../src/run-services.js';
import { runAuthctl } from '../support/authctl.js';
import { createTestSchema, databaseUrlForSchema } from '../support/databases.js';
import { freePort } from '../support/free-port.js';

/**
 * authctl operates the platform the services' own variables describe: run with their environment
 * it reaches their internal listener and uses the admin token they wrote, and when it cannot, it
 * says where it looked.
 */
describe('authctl run with the services\' environment', () => {
  let dataDir: string;
  let env: Record<string, string>;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  const closers: Closers = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'authctl-finds-'));
    schema = await createTestSchema();
    env = {
      AUTH_DATA_DIR: dataDir, LOG_LEVEL: 'error', AUTH_DEMO_CLIENT: 'false', DATABASE_URL: databaseUrlForSchema(schema.schema),
      TOKEN_SERVICE_PORT: String(await freePort()), TOKEN_SERVICE_INTERNAL_PORT: String(await freePort()),
    };
    // As `npm start` runs it: the generated admin token lands in AUTH_DATA_DIR/admin-token.
    await runTokenService(loadConfig(env), closers);
  });
  after(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await schema?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('reaches the internal listener on the configured port with the admin token the service wrote', async () => {
    const listed = await runAuthctl(env, 'keys', 'list', '--json');
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal((JSON.parse(listed.stdout) as { keys: unknown[] }).keys.length, 1);
  });

  it('names the URL it could not reach', async () => {
    const closed = await freePort();
    const result = await runAuthctl({ ...env, TOKEN_SERVICE_INTERNAL_PORT: String(closed) }, 'keys', 'list');
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`^authctl: cannot reach token-service internal API at http://127\\.0\\.0\\.1:${closed}: ECONNREFUSED`, 'm'));
  });

  describe('when another server answers on that port and refuses the token', () => {
    let other: Server;
    let otherPort: number;
    before(async () => {
      // Another installation's token-service, say: a problem+json 401 for any admin token.
      other = createServer((_request, response) => {
        response.writeHead(401, { 'content-type': 'application/problem+json' });
        response.end(JSON.stringify({ code: 'admin_unauthorized', status: 401, title: 'Unauthorized' }));
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      otherPort = (other.address() as { port: number }).port;
    });
    after(() => new Promise<void>((resolve) => other.close(() => resolve())));

    it('says which URL answered and which admin token it refused: the file, the flag or the variable', async () => {
      const flagFile = join(dataDir, 'operator-token');
      await writeFile(flagFile, `${'f'.repeat(43)}\n`, { mode: 0o600 });
      const envToken = 'e'.repeat(43);
      const otherEnv = { ...env, TOKEN_SERVICE_INTERNAL_PORT: String(otherPort) };
      const [fromDataDir, fromFlag, fromVariable] = await Promise.all([
        runAuthctl(otherEnv, 'keys', 'list'),
        runAuthctl(otherEnv, 'keys', 'list', '--admin-token-file', flagFile),
        runAuthctl({ ...otherEnv, AUTH_ADMIN_TOKEN: envToken }, 'keys', 'list'),
      ]);
      const answered = `http://127\\.0\\.0\\.1:${otherPort} refused the admin token from`;
      assert.match(fromDataDir.stderr, new RegExp(`401 admin_unauthorized: ${answered} ${join(dataDir, 'admin-token')} \\(AUTH_DATA_DIR/admin-token\\)`));
      assert.match(fromFlag.stderr, new RegExp(`${answered} ${flagFile} \\(--admin-token-file\\)`));
      assert.match(fromVariable.stderr, new RegExp(`${answered} AUTH_ADMIN_TOKEN\\b`));
      const written = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
      for (const result of [fromDataDir, fromFlag, fromVariable]) {
        assert.equal(result.code, 1);
        for (const token of [written, 'f'.repeat(43), envToken]) assert.ok(!result.stderr.includes(token), 'a token reached the output');
      }
    });
  });
});

describe('authctl configuration', () => {
  it('in the Docker image, looks for the admin token and the certificates where the services put them', async () => {
    const dockerfile = await readFile('deploy/docker/Dockerfile', 'utf8');
    const dataDir = /^ENV\s.*\bAUTH_DATA_DIR=(\S+)/m.exec(dockerfile)?.[1];
    assert.ok(dataDir !== undefined, 'the image sets AUTH_DATA_DIR');
    const imageEnv = { AUTH_DATA_DIR: dataDir };
    const services = loadConfig(imageEnv);
    const ctl = loadCtlConfig(imageEnv);
    // runTokenService writes the generated token to AUTH_DATA_DIR/admin-token.
    assert.deepEqual(ctl.adminToken, { from: 'AUTH_DATA_DIR', file: join(services.platform.dataDir, 'admin-token') });
    assert.equal(ctl.mesh.certDir, services.mesh.certDir);
    assert.equal(services.mesh.certDir, join(dataDir, 'certs'));
  });

  it('derives the URLs from the services\' listeners and mesh mode; its own variables override them', () => {
    const native = loadCtlConfig({ MESH: 'native', TOKEN_SERVICE_HOST: '0.0.0.0', TOKEN_SERVICE_INTERNAL_PORT: '9443', EDGE_HOST: '::', EDGE_PORT: '9081' });
    assert.equal(native.tokenServiceUrl, 'https://127.0.0.1:9443');
    assert.equal(native.edgeUrl, 'https://[::1]:9081');
    const overridden = loadCtlConfig({ MESH: 'native', AUTHCTL_URL: 'https://ts.internal:8443', AUTHCTL_EDGE_URL: 'https://edge.internal' });
    assert.deepEqual([overridden.tokenServiceUrl, overridden.edgeUrl], ['https://ts.internal:8443', 'https://edge.internal']);
  });

  it('takes AUTHCTL_ADMIN_TOKEN_FILE over AUTH_ADMIN_TOKEN over the data directory', () => {
    const token = 't'.repeat(40);
    assert.deepEqual(loadCtlConfig({ AUTH_ADMIN_TOKEN: token, AUTHCTL_ADMIN_TOKEN_FILE: '/run/secrets/admin' }).adminToken, { from: 'AUTHCTL_ADMIN_TOKEN_FILE', file: '/run/secrets/admin' });
    assert.deepEqual(loadCtlConfig({ AUTH_ADMIN_TOKEN: token }).adminToken, { from: 'AUTH_ADMIN_TOKEN', token });
  });

  it('refuses what the services would refuse, naming the variable', () => {
    assert.throws(() => loadCtlConfig({ AUTHCTL_URL: 'not a url', TOKEN_SERVICE_INTERNAL_PORT: '70000' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.deepEqual(error.problems.map((p) => p.variable).sort(), ['AUTHCTL_URL', 'TOKEN_SERVICE_INTERNAL_PORT']);
      return true;
    });
  });
});
