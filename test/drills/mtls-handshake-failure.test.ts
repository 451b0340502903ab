import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { count, logMessage, STARTED, shown, startPlatform, untilOutput, type Platform } from './support/platform.js';

/**
 * How long the certificate the drill rotates in stays valid: long enough for token-service to
 * load it before it lapses on a loaded machine, short enough to wait out.
 */
const SHORT_LIFETIME_MS = 10_000;

/**
 * Drill: docs/runbook.md "mTLS Handshake Failures", native mTLS (step N1), against token-service
 * and the edge as separate processes with `MESH=native` and certificates made by the test:
 * token-service's certificate expires while it serves; `authctl certs check` and `authctl status`
 * show it; the runbook's re-issue replaces it; token-service serves the new one without a restart.
 */
describe('drill: mTLS handshake failure (an expired certificate)', () => {
  let platform: Platform;

  before(async () => {
    platform = await startPlatform({ mesh: 'native', gracePeriod: '5m' });
  });
  after(async () => {
    await platform?.close();
  });

  it('shows the expired certificate in authctl certs check and authctl status, replaces it, and serves the new one without a restart', async () => {
    const { tokenService, pki } = platform;
    const pid = tokenService.child.pid;
    const served = `127.0.0.1:${platform.internalPort}`;

    // The issuer hands token-service a certificate that lapses within seconds, and does not renew it.
    await pki!.issue('token-service', { validity: { notAfter: new Date(Date.now() + SHORT_LIFETIME_MS) } });
    await untilOutput(tokenService, 'token-service', logMessage('mesh: certificate reloaded'), SHORT_LIFETIME_MS);
    await untilOutput(tokenService, 'token-service', /"msg":"mesh: certificate \S+token-service\.crt expired at /, SHORT_LIFETIME_MS + 30_000);

    // N1. Check every certificate's expiry, on disk (the configured files) and as served (--connect).
    const checked = await platform.authctl(['certs', 'check', '--connect', served]);
    assert.equal(checked.code, 1, shown(checked));
    assert.match(checked.stdout, /token-service\.crt\s.*\sexpired$/m, `the file\n${shown(checked)}`);
    assert.match(checked.stdout, new RegExp(`^${served}\\s.*\\bexpired$`, 'm'), `as served\n${shown(checked)}`);
    const status = await platform.authctl(['status']);
    assert.equal(status.code, 1, shown(status));
    assert.match(status.stdout, /^token-service: unreachable .*\n.*CERT_HAS_EXPIRED/m, `status names the handshake failure\n${shown(status)}`);
    assert.match(status.stdout, /token-service\.crt\s.*expired/, `status names the expired file\n${shown(status)}`);

    // To renew (local development): re-issue from the existing CA; the running service picks it up.
    const reissued = await platform.authctl(['certs', 'issue', '--services', 'token-service']);
    assert.equal(reissued.code, 0, shown(reissued));
    await untilOutput(tokenService, 'token-service', logMessage('mesh: certificate reloaded'), 30_000, 2);

    // Served without a restart: the same process presents the new certificate, and everything answers.
    const renewed = await platform.authctl(['certs', 'check', '--connect', served]);
    assert.equal(renewed.code, 0, shown(renewed));
    assert.equal(tokenService.child.pid, pid);
    assert.equal(tokenService.child.exitCode, null);
    assert.equal(count(tokenService.stdout(), STARTED), 1);
    const token = await platform.accessToken();
    const verified = await platform.fetch(`${platform.edgeUrl}/demo/hello`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(verified.status, 200, await verified.text());
  });
});
