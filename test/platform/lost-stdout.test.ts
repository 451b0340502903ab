import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { exitOf, spawnService, throwawayDatabaseUrl, untilServing } from '../support/service-process.js';

const ADMIN_TOKEN = 'admin-token-for-the-lost-stdout-test-0123456789';

const databases: Array<() => Promise<void>> = [];
after(async () => {
  for (const drop of databases) await drop();
});

async function startTokenService(env: Record<string, string> = {}, options: { readStdout?: boolean } = {}) {
  const [port, internalPort] = [await freePort(), await freePort()];
  const database = await throwawayDatabaseUrl();
  databases.push(database.drop);
  const service = spawnService('token-service', {
    TOKEN_SERVICE_PORT: String(port), TOKEN_SERVICE_INTERNAL_PORT: String(internalPort), AUTH_ADMIN_TOKEN: ADMIN_TOKEN, DATABASE_URL: database.url, ...env,
  }, options);
  const url = `http://127.0.0.1:${port}`;
  await untilServing(service, url);
  return { service, url, internalUrl: `http://127.0.0.1:${internalPort}` };
}

/**
 * The log is stdout, read by a collector or a parent process. When that reader goes away, the
 * service must go on serving and must still exit on SIGTERM: before, the logger's exit flush
 * retried EPIPE every 100 ms for ever, so only SIGKILL ended the process.
 */
describe('a service whose stdout reader is gone', { concurrency: true }, () => {
  it('keeps serving, and exits on SIGTERM', async () => {
    const { service, url, internalUrl } = await startTokenService({}, { readStdout: false });
    service.child.stdout!.destroy();
    // A key rotation writes log lines into the broken pipe while the service serves.
    const rotated = await fetch(`${internalUrl}/admin/keys/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    assert.equal(rotated.status, 200);
    for (let i = 0; i < 5; i += 1) assert.equal((await fetch(`${url}/.well-known/jwks.json`)).status, 200);
    service.child.kill('SIGTERM');
    const { code } = await exitOf(service, 'token-service after SIGTERM with its stdout gone');
    assert.equal(code, 0, service.stderr());
  });

  it('exits at once on a second SIGTERM while its shutdown waits on an in-flight request', async () => {
    const { service, url } = await startTokenService({ AUTH_SHUTDOWN_GRACE: '10m' });
    // A request whose body never finishes keeps the listener from closing: the shutdown waits on it.
    // `100 Continue` says the server has the request, so the shutdown cannot close it as idle.
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    const continued = new Promise((resolve) => socket.once('data', resolve));
    socket.write('POST /oauth2/token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n');
    assert.match(String(await continued), /^HTTP\/1\.1 100 Continue/);
    socket.write('grant_type=');
    try {
      service.child.kill('SIGTERM');
      const deadline = Date.now() + 60_000;
      while (!service.stdout().includes('shutting down') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
      assert.ok(service.stdout().includes('shutting down'), service.stdout());
      service.child.kill('SIGTERM');
      const { code } = await exitOf(service, 'token-service after a second SIGTERM');
      assert.equal(code, 1, 'a forced exit is a failure exit');
      assert.match(service.stdout(), /second signal during shutdown; exiting now/);
    } finally {
      socket.destroy();
    }
  });
});
