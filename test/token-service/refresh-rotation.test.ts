import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { DATABASES } from '../support/databases.js';
import { startTestTokenService, type TestClient, type TestTokenService, type TokenResponse } from '../support/token-service.js';
import { introspect, oauthError } from './helpers.js';

for (const database of DATABASES) {
  describe(`refresh-token rotation and reuse detection on ${database.name}`, () => {
    let ts: TestTokenService;
    let client: TestClient;
    // Real time plus an offset tests can add to, to cross the refresh-token lifetime.
    let offset = 0;

    before(async () => {
      ts = await startTestTokenService({ database: database.name, env: { AUTH_REFRESH_TOKEN_TTL: '1d' }, now: () => Date.now() + offset });
      client = await ts.createClient({ scopes: ['read', 'write', 'admin'], grant_types: ['client_credentials', 'refresh_token'] });
    });
    after(() => ts.close());

    async function refreshOk(refreshToken: string, params: Record<string, string> = {}, as: TestClient = client): Promise<TokenResponse> {
      const response = await ts.form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: refreshToken, ...params }, as);
      const text = await response.text();
      assert.equal(response.status, 200, text);
      assert.equal(response.headers.get('cache-control'), 'no-store');
      return JSON.parse(text) as TokenResponse;
    }

    async function expectRefused(response: Response, error: string): Promise<void> {
      const body = await oauthError(response);
      assert.equal(body.status, 400, JSON.stringify(body));
      assert.equal(body.error, error);
    }

    test('each refresh returns a new refresh token and spends the one presented', async () => {
      const pair = await ts.issuePair('alice', client.client_id, 'read write');
      const seen = new Set([pair.refresh_token!]);
      let current = pair.refresh_token!;
      for (let i = 0; i < 3; i += 1) {
        const next = await refreshOk(current);
        assert.ok(next.refresh_token, 'a refresh token comes back');
        assert.ok(!seen.has(next.refresh_token), 'never one seen before');
        seen.add(next.refresh_token);
        assert.equal(decodeJwt(next.access_token).sub, 'alice');
        assert.equal(next.scope, 'read write');
        // The presented token is spent: introspection no longer calls it active.
        assert.equal((await introspect(ts, client, current)).active, false);
        assert.equal((await introspect(ts, client, next.refresh_token)).active, true);
        current = next.refresh_token;
      }
    });

    test('reusing a rotated refresh token is refused and revokes the whole family, its access tokens too', async () => {
      const pair = await ts.issuePair('bob', client.client_id, 'read');
      const first = await refreshOk(pair.refresh_token!);
      const second = await refreshOk(first.refresh_token!);
      const familyId = decodeJwt(second.access_token).sid as string;
      assert.equal(decodeJwt(pair.access_token).sid, familyId, 'every access token names its family');
      for (const token of [pair.access_token, first.access_token, second.access_token]) {
        assert.equal((await introspect(ts, client, token)).active, true);
      }

      // An attacker (or a confused client) replays the first, long-rotated token.
      await expectRefused(await ts.refresh(client, pair.refresh_token!), 'invalid_grant');

      // The legitimate holder's newest token is dead now, and so is everything the family minted.
      await expectRefused(await ts.refresh(client, second.refresh_token!), 'invalid_grant');
      assert.equal((await introspect(ts, client, second.refresh_token!)).active, false);
      for (const token of [pair.access_token, first.access_token, second.access_token]) {
        assert.deepEqual(await introspect(ts, client, token), { active: false });
      }

      const family = await ts.store.refreshFamilies.get(familyId);
      assert.notEqual(family?.revokedAt, null);
      assert.equal(family?.revokedReason, 'refresh_token_reuse');

      // Audited, with the family and without any token value.
      const audit = (await (await ts.admin('GET', '/admin/audit?event=refresh_token_reuse&limit=1000')).json()) as { entries: Array<Record<string, unknown>> };
      const entry = audit.entries.find((e) => (e.details as { familyId?: string }).familyId === familyId);
      assert.ok(entry, 'a refresh_token_reuse audit entry names the family');
      assert.equal(entry.outcome, 'failure');
      assert.equal(entry.clientId, client.client_id);
      assert.equal(entry.subject, 'bob');
      const serialized = JSON.stringify(entry);
      for (const token of [pair.refresh_token!, first.refresh_token!, second.refresh_token!, second.access_token]) {
        assert.ok(!serialized.includes(token), 'no token value in the audit entry');
      }

      // The revocation reaches the feed the edges pull, so they drop the family's access tokens.
      const feed = (await (await ts.feed()).json()) as { events: Array<{ kind: string; value: string }> };
      assert.ok(feed.events.some((e) => e.kind === 'family' && e.value === familyId));
    });

    test('reusing a rotated token again later stays refused and does not revive anything', async () => {
      const pair = await ts.issuePair('bob2', client.client_id, 'read');
      const next = await refreshOk(pair.refresh_token!);
      await expectRefused(await ts.refresh(client, pair.refresh_token!), 'invalid_grant');
      await expectRefused(await ts.refresh(client, pair.refresh_token!), 'invalid_grant');
      await expectRefused(await ts.refresh(client, next.refresh_token!), 'invalid_grant');
    });

    test('two concurrent refreshes with the same token give exactly one success', async () => {
      const pair = await ts.issuePair('carol', client.client_id);
      const responses = await Promise.all([ts.refresh(client, pair.refresh_token!), ts.refresh(client, pair.refresh_token!)]);
      const statuses = responses.map((r) => r.status).sort();
      assert.deepEqual(statuses, [200, 400]);
      const loser = responses.find((r) => r.status === 400)!;
      assert.equal((await oauthError(loser)).error, 'invalid_grant');
    });

    test('eight concurrent refreshes with the same token give exactly one success and one new refresh token', async () => {
      const pair = await ts.issuePair('carol2', client.client_id);
      const responses = await Promise.all(Array.from({ length: 8 }, () => ts.refresh(client, pair.refresh_token!)));
      const ok = responses.filter((r) => r.status === 200);
      assert.equal(ok.length, 1, `statuses: ${responses.map((r) => r.status).join(',')}`);
      for (const refused of responses.filter((r) => r.status !== 200)) {
        assert.equal(refused.status, 400);
        assert.equal((await oauthError(refused)).error, 'invalid_grant');
      }
      const rows = await ts.store.db.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1',
        [decodeJwt(pair.access_token).sid],
      );
      assert.equal(rows[0]?.n, 2, 'the original token and exactly one successor');
    });

    test('a refresh token presented by another client is refused and not spent', async () => {
      const other = await ts.createClient({ scopes: ['read', 'write', 'admin'], grant_types: ['refresh_token'] });
      const pair = await ts.issuePair('dave', client.client_id, 'read');
      await expectRefused(await ts.refresh(other, pair.refresh_token!), 'invalid_grant');
      // Still the owner's to use: neither spent nor treated as reuse.
      const next = await refreshOk(pair.refresh_token!);
      assert.equal(decodeJwt(next.access_token).client_id, client.client_id);
      assert.equal((await introspect(ts, client, next.access_token)).active, true);
      assert.equal((await ts.store.refreshFamilies.get(decodeJwt(pair.access_token).sid as string))?.revokedAt, null);
    });

    test('scope can be narrowed on refresh', async () => {
      const pair = await ts.issuePair('erin', client.client_id, 'read write');
      const narrowed = await refreshOk(pair.refresh_token!, { scope: 'read' });
      assert.equal(narrowed.scope, 'read');
      assert.equal(decodeJwt(narrowed.access_token).scope, 'read');
      // RFC 6749 §6: the original grant still bounds later refreshes, not the narrowed one.
      const again = await refreshOk(narrowed.refresh_token!, { scope: 'write read' });
      assert.equal(decodeJwt(again.access_token).scope, 'write read');
    });

    test('widening scope on refresh is refused as invalid_scope and leaves the token unspent', async () => {
      // The client may have `admin`, but this grant never had it.
      const pair = await ts.issuePair('frank', client.client_id, 'read');
      await expectRefused(await ts.form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: pair.refresh_token!, scope: 'read admin' }, client), 'invalid_scope');
      await expectRefused(await ts.form('/oauth2/token', { grant_type: 'refresh_token', refresh_token: pair.refresh_token!, scope: 'nonexistent' }, client), 'invalid_scope');
      const next = await refreshOk(pair.refresh_token!);
      assert.equal(next.scope, 'read');
    });

    test('a refresh token past its family lifetime is invalid_grant, and rotation does not extend the lifetime', async () => {
      const pair = await ts.issuePair('hank', client.client_id);
      offset += 12 * 3_600_000;
      const rotated = await refreshOk(pair.refresh_token!);
      offset += 12 * 3_600_000 + 1000;
      try {
        assert.deepEqual(await introspect(ts, client, rotated.refresh_token!), { active: false });
        await expectRefused(await ts.refresh(client, rotated.refresh_token!), 'invalid_grant');
      } finally {
        offset = 0;
      }
    });

    test('an audience removed from the client is no longer minted on refresh', async () => {
      const narrowing = await ts.createClient({ scopes: ['read', 'write'], audiences: ['https://a.example', 'https://b.example'], grant_types: ['refresh_token'] });
      const pair = await ts.issuePair('ivan', narrowing.client_id);
      assert.deepEqual(decodeJwt(pair.access_token).aud, ['https://a.example', 'https://b.example']);
      assert.equal((await ts.admin('PATCH', `/admin/clients/${narrowing.client_id}`, { audiences: ['https://a.example'], scopes: ['read'] })).status, 200);
      const next = await refreshOk(pair.refresh_token!, {}, narrowing);
      assert.equal(decodeJwt(next.access_token).scope, 'read', 'a scope removed from the client is dropped');
      assert.equal(decodeJwt(next.access_token).aud, 'https://a.example', 'so is an audience');

      // With none of its audiences left, the grant covers nothing: refused, and the token is not spent.
      assert.equal((await ts.admin('PATCH', `/admin/clients/${narrowing.client_id}`, { audiences: ['https://c.example'] })).status, 200);
      await expectRefused(await ts.refresh(narrowing, next.refresh_token!), 'invalid_grant');
      assert.equal((await ts.admin('PATCH', `/admin/clients/${narrowing.client_id}`, { audiences: ['https://a.example', 'https://c.example'] })).status, 200);
      assert.equal(decodeJwt((await refreshOk(next.refresh_token!, {}, narrowing)).access_token).aud, 'https://a.example');
    });

    test('an unknown refresh token is invalid_grant', async () => {
      await expectRefused(await ts.refresh(client, 'not-a-refresh-token'), 'invalid_grant');
    });

    test('a client that lost the refresh_token grant can no longer refresh', async () => {
      const restricted = await ts.createClient({ scopes: ['read'], grant_types: ['client_credentials', 'refresh_token'] });
      const pair = await ts.issuePair('gina', restricted.client_id);
      const patched = await ts.admin('PATCH', `/admin/clients/${restricted.client_id}`, { grant_types: ['client_credentials'] });
      assert.equal(patched.status, 200);
      const response = await ts.refresh(restricted, pair.refresh_token!);
      assert.equal((await oauthError(response)).error, 'unauthorized_client');
    });
  });
}
