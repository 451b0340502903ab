import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { failedStart } from '../support/service-process.js';
import { VaultStandin } from '../support/vault-standin/index.js';

/**
 * Every start-up failure is one line on stderr that names the environment variable to fix (with
 * its value unless it is a secret) and a non-zero exit: the operator's first look after
 * `npm start` or a crash-looping pod. The real entry point runs as its own process.
 */
describe('start-up failures name the variable', { concurrency: true }, () => {
  let standin: VaultStandin;
  before(async () => {
    standin = await VaultStandin.start();
  });
  after(async () => {
    await standin?.close();
  });

  it('an unreachable DATABASE_URL is named with its address, never its password', async () => {
    const port = await freePort();
    const lines = await failedStart('token-service', { DATABASE_URL: `postgres://auth:hunter2-secret@127.0.0.1:${port}/x?password=also-secret` });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`DATABASE_URL=postgres://127\\.0\\.0\\.1:${port}/x: cannot open the database: .*ECONNREFUSED`));
    assert.doesNotMatch(lines[0]!, /hunter2-secret|also-secret/);
  });

  it('a VAULT_ADDR where no Vault listens is named with its value', async () => {
    const addr = `http://127.0.0.1:${await freePort()}`;
    const lines = await failedStart('token-service', { SECRETS_PROVIDER: 'vault', VAULT_ADDR: addr, VAULT_TOKEN: 'hvs.some-token-value', VAULT_REQUEST_TIMEOUT: '2s' });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, new RegExp(`VAULT_ADDR=${addr.replace(/\./g, '\\.')}: Vault cannot be used: .*connection refused`));
    assert.doesNotMatch(lines[0]!, /hvs\.some-token-value/);
  });

  it('VAULT_TOKEN=x gets one message naming VAULT_TOKEN, not two that contradict each other', async () => {
    const lines = await failedStart('token-service', { SECRETS_PROVIDER: 'vault', VAULT_ADDR: standin.addr, VAULT_TOKEN: 'x' });
    const aboutToken = lines.filter((line) => line.includes('VAULT_TOKEN'));
    assert.equal(aboutToken.length, 1, lines.join('\n'));
    assert.match(aboutToken[0]!, /VAULT_TOKEN: must be at least 4 characters long/);
  });

  it('a VAULT_TOKEN Vault refuses is named, and its value is not printed', async () => {
    const lines = await failedStart('token-service', { SECRETS_PROVIDER: 'vault', VAULT_ADDR: standin.addr, VAULT_TOKEN: 'hvs.not-a-token-vault-knows' });
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /VAULT_TOKEN: Vault refused the token: .*HTTP 403/);
    assert.doesNotMatch(lines[0]!, /not-a-token-vault-knows/);
  });
});
