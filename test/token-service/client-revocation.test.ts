import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { introspect, oauthError } from './helpers.js';

interface Revoked {
  client_id?: string;
  revoked: { cutoff: number; familiesRevoked: number };
}

const uniqueId = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

/**
 * Finding: disabling or deleting a client left every token it held valid until expiry. The
 * attacks: a client's operator stops it, and the tokens it (or a thief) already holds keep
 * opening APIs and minting new access tokens by refresh.
 */
describe('disabling, deleting or revoking a client revokes what it holds', () => {
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  async function clientWithTokens(clientId = uniqueId('held')): Promise<{ client: TestClient; access: string; pair: { access_token: string; refresh_token?: string } }> {
    const client = await ts.createClient({ client_id: clientId });
    const access = (await ts.clientCredentials(client)).access_token;
    const pair = await ts.issuePair('alice', client.client_id);
    assert.equal((await introspect(ts, client, access)).active, true);
    return { client, access, pair };
  }

  test('disable: the access tokens it holds go inactive, its refresh token is refused, and re-enabling brings neither back', async () => {
    const { client, access, pair } = await clientWithTokens();
    const disabled = await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: true });
    assert.equal(disabled.status, 200);
    const body = (await disabled.json()) as Revoked & { disabled: boolean };
    assert.equal(body.disabled, true);
    assert.equal(body.revoked.familiesRevoked, 1);
    assert.ok(body.revoked.cutoff >= decodeJwt(access).iat!, 'the cutoff covers the tokens issued so far');

    // Re-enabled, the client may introspect its own tokens again: the old ones stay dead.
    assert.equal((await ts.admin('PATCH', `/admin/clients/${client.client_id}`, { disabled: false })).status, 200);
    assert.deepEqual(await introspect(ts, client, access), { active: false });
    assert.deepEqual(await introspect(ts, client, pair.access_token), { active: false });
    const refreshed = await ts.refresh(client, pair.refresh_token!);
    assert.equal((await oauthError(refreshed)).error, 'invalid_grant', 'no new access token by refresh');
    assert.equal((await introspect(ts, client, (await ts.clientCredentials(client)).access_token)).active, true, 'new tokens work');
  });

  test('delete: the tokens stay dead when a client is registered again under the same client_id', async () => {
    const clientId = uniqueId('reborn');
    const { access, pair } = await clientWithTokens(clientId);
    const deleted = await ts.admin('DELETE', `/admin/clients/${clientId}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(((await deleted.json()) as Revoked).revoked.familiesRevoked, 1);

    const reborn = await ts.createClient({ client_id: clientId });
    assert.deepEqual(await introspect(ts, reborn, access), { active: false });
    assert.deepEqual(await introspect(ts, reborn, pair.access_token), { active: false });
    assert.equal((await oauthError(await ts.refresh(reborn, pair.refresh_token!))).error, 'invalid_grant');
    assert.equal((await introspect(ts, reborn, (await ts.clientCredentials(reborn)).access_token)).active, true);
  });

  test('revoke client: everything it holds is revoked, and it keeps getting new tokens', async () => {
    const { client, access, pair } = await clientWithTokens();
    const revoked = await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`);
    assert.equal(revoked.status, 200);
    const body = (await revoked.json()) as Revoked;
    assert.equal(body.client_id, client.client_id);
    assert.equal(body.revoked.familiesRevoked, 1);
    assert.deepEqual(await introspect(ts, client, access), { active: false });
    assert.deepEqual(await introspect(ts, client, pair.access_token), { active: false });
    assert.equal((await oauthError(await ts.refresh(client, pair.refresh_token!))).error, 'invalid_grant');
    assert.equal((await introspect(ts, client, (await ts.clientCredentials(client)).access_token)).active, true);
    const show = (await (await ts.admin('GET', `/admin/clients/${client.client_id}`)).json()) as { disabled: boolean };
    assert.equal(show.disabled, false);
  });

  test("one client's revocation leaves another client's tokens alone", async () => {
    const other = await clientWithTokens();
    const { client } = await clientWithTokens();
    assert.equal((await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`)).status, 200);
    assert.equal((await introspect(ts, other.client, other.access)).active, true);
    assert.equal((await ts.refresh(other.client, other.pair.refresh_token!)).status, 200);
  });

  test('every client revocation is in the feed, with the cutoff and the client, and in the audit log', async () => {
    const { client } = await clientWithTokens();
    const revoked = (await (await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`)).json()) as Revoked;
    const events = ((await (await ts.feed()).json()) as { events: Array<{ kind: string; value: string; expiresAt: string | null }> }).events;
    const entry = events.find((e) => e.kind === 'client' && e.value === `${revoked.revoked.cutoff}:${client.client_id}`);
    assert.ok(entry, 'the feed carries the client revocation');
    assert.ok(entry.expiresAt !== null && Date.parse(entry.expiresAt) > Date.now() + 86_000_000, 'kept for the longest access-token lifetime');
    const audit = (await (await ts.admin('GET', '/admin/audit?event=client_tokens_revoked&limit=1000')).json()) as { entries: Array<{ clientId: string; details: Record<string, unknown> }> };
    assert.ok(audit.entries.some((e) => e.clientId === client.client_id && e.details.by === 'admin_revoked'));
  });

  test('an unknown client is 404 client_not_found, and nothing is recorded for it', async () => {
    const before = ((await (await ts.feed()).json()) as { latestSeq: number }).latestSeq;
    for (const [method, path] of [['POST', '/admin/clients/nobody-here/revoke'], ['DELETE', '/admin/clients/nobody-here']] as const) {
      const response = await ts.admin(method, path);
      assert.equal(response.status, 404);
      assert.equal(((await response.json()) as { code: string }).code, 'client_not_found');
    }
    assert.equal(((await (await ts.feed()).json()) as { latestSeq: number }).latestSeq, before, 'the delete rolled its revocation back');
  });
});

describe('the cutoff and the same second', () => {
  // A fixed clock in the middle of a second: every call below happens "in the same second".
  const nowMs = Math.floor(Date.now() / 1000) * 1000 + 500;
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService({ now: () => nowMs });
  });
  after(() => ts.close());

  test('a token from before the revocation in its own second is refused; one minted after it is pushed past the cutoff', async () => {
    const client = await ts.createClient();
    const before = (await ts.clientCredentials(client)).access_token;
    const { revoked } = (await (await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`)).json()) as Revoked;
    assert.equal(revoked.cutoff, Math.floor(nowMs / 1000));
    assert.equal(decodeJwt(before).iat, revoked.cutoff, 'issued in the cutoff second, before the revocation');
    assert.deepEqual(await introspect(ts, client, before), { active: false });

    const after = (await ts.clientCredentials(client)).access_token;
    assert.equal(decodeJwt(after).iat, revoked.cutoff + 1);
    assert.equal((await introspect(ts, client, after)).active, true);

    // A second revocation in the same second must catch the pushed token too.
    const again = (await (await ts.admin('POST', `/admin/clients/${client.client_id}/revoke`)).json()) as Revoked;
    assert.equal(again.revoked.cutoff, revoked.cutoff + 1);
    assert.deepEqual(await introspect(ts, client, after), { active: false });
    assert.equal(decodeJwt((await ts.clientCredentials(client)).access_token).iat, revoked.cutoff + 2);
  });
});

describe('other replicas keep new tokens clear of the cutoff', () => {
  const nowMs = Math.floor(Date.now() / 1000) * 1000 + 500;
  let a: TestTokenService;
  let b: TestTokenService;
  before(async () => {
    a = await startTestTokenService({ now: () => nowMs });
    // One database and one bus, as replicas on PostgreSQL and Redis share them.
    b = await startTestTokenService({ store: a.store, secrets: a.secrets, now: () => nowMs });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('a replica that hears the revocation on the bus mints the client\'s next token past the cutoff', async () => {
    const client = await a.createClient();
    const { revoked } = (await (await a.admin('POST', `/admin/clients/${client.client_id}/revoke`)).json()) as Revoked;
    const fromB = (await b.clientCredentials(client)).access_token;
    assert.equal(decodeJwt(fromB).iat, revoked.cutoff + 1);
    assert.equal((await introspect(b, client, fromB)).active, true);
  });

  test('a replica that starts after the revocation reads the cutoff from the database', async () => {
    const client = await a.createClient();
    const { revoked } = (await (await a.admin('POST', `/admin/clients/${client.client_id}/revoke`)).json()) as Revoked;
    const late = await startTestTokenService({ store: a.store, secrets: a.secrets, now: () => nowMs });
    try {
      assert.equal(decodeJwt((await late.clientCredentials(client)).access_token).iat, revoked.cutoff + 1);
    } finally {
      await late.close();
    }
  });
});

describe('POST /admin/tokens/revoke', () => {
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  test('revokes one access token by its jti; its client and other tokens are untouched', async () => {
    const client = await ts.createClient();
    const [target, bystander] = [(await ts.clientCredentials(client)).access_token, (await ts.clientCredentials(client)).access_token];
    const jti = decodeJwt(target).jti!;
    const response = await ts.admin('POST', '/admin/tokens/revoke', { jti });
    assert.equal(response.status, 200);
    const body = (await response.json()) as { jti: string; expiresAt: string };
    assert.equal(body.jti, jti);
    assert.ok(Date.parse(body.expiresAt) > Date.now() + 86_000_000, 'kept for the longest lifetime, whatever the token claims');
    assert.deepEqual(await introspect(ts, client, target), { active: false });
    assert.equal((await introspect(ts, client, bystander)).active, true);
  });

  test('refuses a missing, empty, non-printable or oversized jti, and unknown fields, with 400 invalid_request', async () => {
    for (const body of [{}, { jti: '' }, { jti: 'a b' }, { jti: 'x'.repeat(257) }, { jti: 'ok', exp: 1 }]) {
      const response = await ts.admin('POST', '/admin/tokens/revoke', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_request');
    }
  });
});
