import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { jtiOf } from '../../src/ctl/revoke.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { runAuthctl } from '../support/authctl.js';

describe('authctl revoke token: what it sends', () => {
  const segment = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  test('a bare jti as given; a JWT by its jti claim alone, decoded and never verified', () => {
    assert.deepEqual(jtiOf('3f1c-jti'), { jti: '3f1c-jti' });
    const unsigned = `${segment({ alg: 'none' })}.${segment({ jti: 'from-token', exp: 1_900_000_000, sub: 'x' })}.`;
    assert.deepEqual(jtiOf(unsigned), { jti: 'from-token', exp: 1_900_000_000 });
  });

  test('a JWT without a jti, or one that does not decode, is refused before any call', () => {
    assert.throws(() => jtiOf(`${segment({ alg: 'none' })}.${segment({ sub: 'x' })}.`), /no jti/);
    assert.throws(() => jtiOf('not.a.jwt'), /does not decode/);
  });
});

/** `authctl revoke token|client` and what `clients disable|delete` revoke, end to end against a real token-service. */
describe('authctl revokes tokens and clients', () => {
  let ts: TestTokenService;
  let env: Record<string, string>;
  before(async () => {
    ts = await startTestTokenService();
    env = { AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_URL: ts.internalUrl };
  });
  after(() => ts.close());

  const active = async (client: TestClient, token: string) =>
    ((await (await ts.form('/oauth2/introspect', { token }, client)).json()) as { active: boolean }).active;

  async function clientWithToken(): Promise<{ client: TestClient; token: string }> {
    const client = await ts.createClient({ client_id: `ctl-${randomUUID().slice(0, 8)}` });
    return { client, token: (await ts.clientCredentials(client)).access_token };
  }

  test('revoke token <jwt> revokes that token by its jti, and only it', async () => {
    const { client, token } = await clientWithToken();
    const other = (await ts.clientCredentials(client)).access_token;
    const result = await runAuthctl(env, 'revoke', 'token', token);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`revoked token ${decodeJwt(token).jti}`));
    assert.equal(await active(client, token), false);
    assert.equal(await active(client, other), true);
  });

  test('revoke client <id> revokes what it holds and leaves it enabled', async () => {
    const { client, token } = await clientWithToken();
    const result = await runAuthctl(env, 'revoke', 'client', client.client_id);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`revoked every token of ${client.client_id} issued up to .*; 0 refresh families revoked`));
    assert.equal(await active(client, token), false);
    assert.equal(await active(client, (await ts.clientCredentials(client)).access_token), true);
  });

  test('clients disable and clients delete print what they revoked, and revoke it', async () => {
    const disabled = await clientWithToken();
    await ts.issuePair('alice', disabled.client.client_id);
    const disable = await runAuthctl(env, 'clients', 'disable', disabled.client.client_id);
    assert.equal(disable.code, 0, disable.stderr);
    assert.match(disable.stdout, /disabled: {4}true/);
    assert.match(disable.stdout, /1 refresh families revoked/);

    const deleted = await clientWithToken();
    const remove = await runAuthctl(env, 'clients', 'delete', deleted.client.client_id, '--json');
    assert.equal(remove.code, 0, remove.stderr);
    const body = JSON.parse(remove.stdout) as { client_id: string; revoked: { cutoff: number } };
    assert.equal(body.client_id, deleted.client.client_id);
    assert.ok(body.revoked.cutoff >= decodeJwt(deleted.token).iat!);
    const reborn = await ts.createClient({ client_id: deleted.client.client_id });
    assert.equal(await active(reborn, deleted.token), false);
  });
});
