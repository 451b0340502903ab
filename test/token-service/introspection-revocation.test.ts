import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { internalBase, introspect, oauthError } from './helpers.js';

interface FeedEvent {
  seq: number;
  kind: 'jti' | 'family' | 'epoch' | 'key';
  value: string;
  expiresAt: string | null;
}

describe('introspection (RFC 7662), revocation (RFC 7009), revoke-all and the revocation feed', () => {
  let ts: TestTokenService;
  let alice: TestClient;
  let mallory: TestClient;
  // A controlled clock that only moves when told: "minted afterwards" then means the same second.
  let clock = Math.floor(Date.now() / 1000) * 1000 + 400;

  before(async () => {
    ts = await startTestTokenService({ now: () => clock });
    alice = await ts.createClient({ grant_types: ['client_credentials', 'refresh_token'] });
    mallory = await ts.createClient({ grant_types: ['client_credentials', 'refresh_token'] });
  });
  after(() => ts.close());

  const revoke = (token: string, client?: TestClient, extra: Record<string, string> = {}) => ts.form('/oauth2/revoke', { token, ...extra }, client);

  async function feed(since = 0, feedToken: string | null = ts.revocationFeedToken): Promise<{ events: FeedEvent[]; latestSeq: number }> {
    const response = await fetch(`${internalBase(ts)}/internal/revocations?since=${since}`, feedToken === null ? {} : { headers: { authorization: `Bearer ${feedToken}` } });
    assert.equal(response.status, 200);
    return (await response.json()) as { events: FeedEvent[]; latestSeq: number };
  }

  describe('client authentication is required', () => {
    for (const path of ['/oauth2/introspect', '/oauth2/revoke']) {
      test(`${path} without client authentication is 401 invalid_client and reveals nothing`, async () => {
        const { access_token } = await ts.clientCredentials(alice);
        const anonymous = await ts.form(path, { token: access_token });
        assert.equal(anonymous.status, 401);
        const body = await oauthError(anonymous);
        assert.equal(body.error, 'invalid_client');
        assert.equal((body as Record<string, unknown>).active, undefined);

        const wrong = await ts.form(path, { token: access_token }, { ...alice, client_secret: 'wrong' });
        assert.equal(wrong.status, 401);
        assert.equal((await oauthError(wrong)).error, 'invalid_client');
        assert.match(wrong.headers.get('www-authenticate') ?? '', /^Basic /);

        // And the token was not revoked by the anonymous call.
        assert.equal((await introspect(ts, alice, access_token)).active, true);
      });
    }

    test('introspection with a Bearer access token instead of client credentials is refused', async () => {
      const { access_token } = await ts.clientCredentials(alice);
      const response = await fetch(`${ts.url}/oauth2/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${access_token}` },
        body: new URLSearchParams({ token: access_token }).toString(),
      });
      assert.equal(response.status, 401);
    });
  });

  describe('introspection', () => {
    test('describes an active access token and is not cached', async () => {
      const { access_token } = await ts.clientCredentials(alice, { scope: 'read' });
      const response = await ts.form('/oauth2/introspect', { token: access_token, token_type_hint: 'access_token' }, alice);
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const body = (await response.json()) as Record<string, unknown>;
      const claims = decodeJwt(access_token);
      assert.equal(body.active, true);
      assert.equal(body.scope, 'read');
      assert.equal(body.client_id, alice.client_id);
      assert.equal(body.sub, alice.client_id);
      assert.equal(body.iss, ts.issuer);
      assert.equal(body.jti, claims.jti);
      assert.equal(body.exp, claims.exp);
    });

    test('says only active:false for garbage, foreign and expired tokens', async () => {
      const { access_token } = await ts.clientCredentials(alice);
      const [h, p] = access_token.split('.');
      const forged = `${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(access_token), scope: 'admin' })).toString('base64url')}.${access_token.split('.')[2]}`;
      for (const token of ['garbage', 'a.b.c', `${h}.${p}.`, forged, 'x'.repeat(20_000)]) {
        assert.deepEqual(await introspect(ts, alice, token), { active: false }, token.slice(0, 40));
      }
      const ttl = decodeJwt(access_token).exp! - decodeJwt(access_token).iat!;
      clock += (ttl + 1) * 1000;
      try {
        assert.deepEqual(await introspect(ts, alice, access_token), { active: false });
      } finally {
        clock -= (ttl + 1) * 1000;
      }
    });

    test('describes a live refresh token, and a spent one as inactive', async () => {
      const pair = await ts.issuePair('user-1', alice.client_id, 'read');
      const live = await introspect(ts, alice, pair.refresh_token!);
      assert.equal(live.active, true);
      assert.equal(live.sub, 'user-1');
      assert.equal(live.client_id, alice.client_id);
      assert.equal(live.scope, 'read');
      assert.equal((await ts.refresh(alice, pair.refresh_token!)).status, 200);
      assert.deepEqual(await introspect(ts, alice, pair.refresh_token!), { active: false });
    });

    test('an unknown token_type_hint is 400 unsupported_token_type', async () => {
      const { access_token } = await ts.clientCredentials(alice);
      const response = await ts.form('/oauth2/introspect', { token: access_token, token_type_hint: 'id_token' }, alice);
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'unsupported_token_type');
    });
  });

  describe('revocation', () => {
    test('a client revokes its own access token: it turns inactive and enters the feed by jti', async () => {
      const { access_token } = await ts.clientCredentials(alice);
      const response = await revoke(access_token, alice);
      assert.equal(response.status, 200);
      assert.deepEqual(await introspect(ts, alice, access_token), { active: false });
      assert.ok((await feed()).events.some((e) => e.kind === 'jti' && e.value === decodeJwt(access_token).jti));
    });

    test('a wrong token_type_hint is only a hint: the token is still revoked', async () => {
      const { access_token } = await ts.clientCredentials(alice);
      assert.equal((await revoke(access_token, alice, { token_type_hint: 'refresh_token' })).status, 200);
      assert.deepEqual(await introspect(ts, alice, access_token), { active: false });
    });

    test("revoking another client's access token is 400 unauthorized_client and leaves it active", async () => {
      const { access_token } = await ts.clientCredentials(alice);
      const response = await revoke(access_token, mallory);
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'unauthorized_client');
      assert.equal((await introspect(ts, alice, access_token)).active, true);
    });

    test("revoking another client's refresh token is 400 unauthorized_client and leaves it usable", async () => {
      const pair = await ts.issuePair('user-2', alice.client_id);
      const response = await revoke(pair.refresh_token!, mallory);
      assert.equal(response.status, 400);
      assert.equal((await oauthError(response)).error, 'unauthorized_client');
      assert.equal((await ts.refresh(alice, pair.refresh_token!)).status, 200);
    });

    test('revoking an unknown, malformed or already revoked token is 200 (RFC 7009 §2.2)', async () => {
      for (const token of ['no-such-token', 'a.b.c', 'x'.repeat(5000)]) {
        const response = await revoke(token, alice);
        assert.equal(response.status, 200, token.slice(0, 20));
      }
      const { access_token } = await ts.clientCredentials(alice);
      assert.equal((await revoke(access_token, alice)).status, 200);
      assert.equal((await revoke(access_token, alice)).status, 200);
    });

    test('revoking a refresh token revokes its family: the refresh token and the access tokens it minted', async () => {
      const pair = await ts.issuePair('user-3', alice.client_id);
      const next = (await (await ts.refresh(alice, pair.refresh_token!)).json()) as { access_token: string; refresh_token: string };
      assert.equal((await revoke(next.refresh_token, alice, { token_type_hint: 'refresh_token' })).status, 200);
      const refused = await ts.refresh(alice, next.refresh_token);
      assert.equal(refused.status, 400);
      assert.equal((await oauthError(refused)).error, 'invalid_grant');
      for (const token of [pair.access_token, next.access_token, next.refresh_token]) {
        assert.deepEqual(await introspect(ts, alice, token), { active: false });
      }
      const familyId = decodeJwt(next.access_token).sid as string;
      assert.ok((await feed()).events.some((e) => e.kind === 'family' && e.value === familyId));
    });
  });

  describe('the revocation feed (GET /internal/revocations)', () => {
    test('needs the revocation feed token', async () => {
      const anonymous = await fetch(`${internalBase(ts)}/internal/revocations?since=0`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await anonymous.json()) as { code: string }).code, 'revocation_feed_unauthorized');
      const wrong = await fetch(`${internalBase(ts)}/internal/revocations?since=0`, { headers: { authorization: `Bearer ${ts.revocationFeedToken}x` } });
      assert.equal(wrong.status, 401);
      // A client's credentials are not the admin's.
      const client = await fetch(`${internalBase(ts)}/internal/revocations?since=0`, { headers: { authorization: `Bearer ${(await ts.clientCredentials(alice)).access_token}` } });
      assert.equal(client.status, 401);
    });

    test('lists entries in seq order, and `since` returns only later ones', async () => {
      const before = await feed();
      const { access_token } = await ts.clientCredentials(alice);
      const pair = await ts.issuePair('user-4', alice.client_id);
      await revoke(access_token, alice);
      await revoke(pair.refresh_token!, alice);

      const all = await feed();
      const seqs = all.events.map((e) => e.seq);
      assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'oldest first');
      assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
      assert.equal(all.latestSeq, seqs.at(-1));

      const later = await feed(before.latestSeq);
      assert.deepEqual(later.events.map((e) => [e.kind, e.value]), [
        ['jti', decodeJwt(access_token).jti],
        ['family', decodeJwt(pair.access_token).sid],
      ]);
      assert.ok(later.events.every((e) => e.seq > before.latestSeq));
      const jtiEntry = later.events[0]!;
      assert.equal(jtiEntry.expiresAt, new Date(decodeJwt(access_token).exp! * 1000).toISOString(), 'forgettable once the token expires');
      assert.deepEqual((await feed(all.latestSeq)).events, []);
    });

    test('a revoked family stays in the feed until the longest-lived of its access tokens has expired', async () => {
      // This client's tokens live an hour, longer than the service default.
      const longLived = await ts.createClient({ grant_types: ['refresh_token'], access_token_ttl_seconds: 3600 });
      const ways: Array<[string, (pair: { access_token: string; refresh_token?: string }) => Promise<void>]> = [
        ['reuse', async (pair) => {
          assert.equal((await ts.refresh(longLived, pair.refresh_token!)).status, 200);
          assert.equal((await ts.refresh(longLived, pair.refresh_token!)).status, 400);
        }],
        ['client revocation', async (pair) => {
          assert.equal((await revoke(pair.refresh_token!, longLived)).status, 200);
        }],
        ['admin revocation', async (pair) => {
          assert.equal((await ts.admin('POST', `/admin/families/${decodeJwt(pair.access_token).sid as string}/revoke`)).status, 200);
        }],
      ];
      for (const [way, revokeFamily] of ways) {
        const pair = await ts.issuePair(`long-${way.replace(/ /g, '-')}`, longLived.client_id);
        const { exp, sid } = decodeJwt(pair.access_token);
        assert.equal(exp! - decodeJwt(pair.access_token).iat!, 3600);
        await revokeFamily(pair);
        const entry = (await feed()).events.find((e) => e.kind === 'family' && e.value === sid);
        assert.ok(entry, `${way}: a family entry in the feed`);
        assert.ok(entry.expiresAt !== null && Date.parse(entry.expiresAt) >= exp! * 1000,
          `${way}: the entry (until ${entry.expiresAt}) outlives the family's access tokens (until ${new Date(exp! * 1000).toISOString()})`);
      }
    });

    test('a malformed `since` is a 400 problem, not a 5xx', async () => {
      for (const since of ['-1', 'abc', '1.5']) {
        const response = await fetch(`${internalBase(ts)}/internal/revocations?since=${since}`, { headers: { authorization: `Bearer ${ts.revocationFeedToken}` } });
        assert.equal(response.status, 400, since);
      }
    });
  });

  // Last: it revokes everything issued so far.
  describe('revoke-all (POST /admin/revoke-all)', () => {
    test('makes every earlier access and refresh token inactive, and tokens minted right afterwards active', async () => {
      const earlierAccess = await ts.clientCredentials(alice);
      const earlierPair = await ts.issuePair('user-5', alice.client_id);
      const earlierMallory = await ts.clientCredentials(mallory);
      const beforeSeq = (await feed()).latestSeq;

      const response = await ts.admin('POST', '/admin/revoke-all');
      assert.equal(response.status, 200);
      const { epoch, familiesRevoked } = (await response.json()) as { epoch: number; familiesRevoked: number };
      assert.equal(epoch, Math.floor(clock / 1000));
      assert.ok(familiesRevoked >= 1);

      for (const token of [earlierAccess.access_token, earlierPair.access_token, earlierPair.refresh_token!]) {
        assert.deepEqual(await introspect(ts, alice, token), { active: false });
      }
      assert.deepEqual(await introspect(ts, mallory, earlierMallory.access_token), { active: false });
      const refused = await ts.refresh(alice, earlierPair.refresh_token!);
      assert.equal(refused.status, 400);
      assert.equal((await oauthError(refused)).error, 'invalid_grant');

      // The clock has not moved: these are minted in the very second of the epoch.
      const laterAccess = await ts.clientCredentials(alice);
      const laterPair = await ts.issuePair('user-6', alice.client_id);
      assert.equal((await introspect(ts, alice, laterAccess.access_token)).active, true);
      assert.equal((await introspect(ts, alice, laterPair.access_token)).active, true);
      assert.equal((await introspect(ts, alice, laterPair.refresh_token!)).active, true);
      assert.ok(decodeJwt(laterAccess.access_token).iat! > epoch, 'new tokens are issued after the epoch');
      const refreshed = await ts.refresh(alice, laterPair.refresh_token!);
      assert.equal(refreshed.status, 200);
      const { access_token } = (await refreshed.json()) as { access_token: string };
      assert.equal((await introspect(ts, alice, access_token)).active, true);

      // And a second later, still active.
      clock += 1500;
      assert.equal((await introspect(ts, alice, laterAccess.access_token)).active, true);

      const entries = (await feed(beforeSeq)).events;
      assert.ok(entries.some((e) => e.kind === 'epoch' && e.value === String(epoch) && e.expiresAt === null));

      const audit = (await (await ts.admin('GET', '/admin/audit?event=revoke_all')).json()) as { entries: Array<{ actor: string }> };
      assert.equal(audit.entries.length, 1);
      assert.equal(audit.entries[0]!.actor, 'admin');
    });

    test('a pair minted in the very millisecond of a revoke-all, on a whole second, is active and refreshable', async () => {
      clock = Math.ceil(clock / 1000) * 1000 + 1000;
      assert.equal((await ts.admin('POST', '/admin/revoke-all')).status, 200);
      const pair = await ts.issuePair('user-7', alice.client_id);
      assert.equal((await introspect(ts, alice, pair.access_token)).active, true);
      // Introspection and the refresh grant must agree on the refresh token.
      assert.equal((await introspect(ts, alice, pair.refresh_token!)).active, true);
      assert.equal((await ts.refresh(alice, pair.refresh_token!)).status, 200);
    });

    test('needs the admin token', async () => {
      const response = await fetch(`${internalBase(ts)}/admin/revoke-all`, { method: 'POST' });
      assert.equal(response.status, 401);
      const withClient = await fetch(`${internalBase(ts)}/admin/revoke-all`, { method: 'POST', headers: { authorization: `Bearer ${alice.client_secret}` } });
      assert.equal(withClient.status, 401);
    });
  });
});
