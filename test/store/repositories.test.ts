import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NewClient, SigningKeyRecord, Store } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';

function newClient(fields: Partial<NewClient> = {}): NewClient {
  return {
    clientId: `c_${randomUUID()}`,
    name: 'repo test client',
    authMethod: 'client_secret_basic',
    secretHash: randomBytes(32),
    jwks: null,
    grantTypes: ['client_credentials'],
    scopes: ['read', 'write'],
    audiences: ['api'],
    accessTokenTtlSeconds: null,
    boundIdentity: null,
    disabled: false,
    ...fields,
  };
}

function signingKey(fields: Partial<SigningKeyRecord> = {}): SigningKeyRecord {
  const kid = `kid-${randomUUID()}`;
  return {
    kid,
    alg: 'ES256',
    publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid },
    secretRef: `jwt/signing-keys/${kid}`,
    createdAt: new Date('2030-01-01T00:00:00Z'),
    activatesAt: new Date('2030-01-01T00:00:00Z'),
    retiresAt: null,
    ...fields,
  };
}

for (const database of DATABASES) {
  describe(`repositories on ${database.name}`, () => {
    let store: Store;
    before(async () => {
      store = await database.open();
    });
    after(() => store.close());

    describe('clients', () => {
      test('create returns the stored record, with the secret hash as a Buffer and jwks as an object', async () => {
        const jwks = { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] };
        const input = newClient({ authMethod: 'private_key_jwt', secretHash: null, jwks, accessTokenTtlSeconds: 120, boundIdentity: 'spiffe://x/y' });
        const created = await store.clients.create(input);
        assert.equal(created.clientId, input.clientId);
        assert.equal(created.secretHash, null);
        assert.deepEqual(created.jwks, jwks);
        assert.equal(created.accessTokenTtlSeconds, 120);
        assert.equal(created.boundIdentity, 'spiffe://x/y');
        assert.ok(created.createdAt instanceof Date);

        const hash = randomBytes(32);
        const withSecret = await store.clients.create(newClient({ secretHash: hash }));
        const read = await store.clients.get(withSecret.clientId);
        assert.ok(Buffer.isBuffer(read!.secretHash));
        assert.ok(read!.secretHash!.equals(hash));
        assert.deepEqual(read!.scopes, ['read', 'write']);
        assert.deepEqual(read!.audiences, ['api']);
      });

      test('get of an unknown client is undefined', async () => {
        assert.equal(await store.clients.get('no-such-client'), undefined);
      });

      test('a duplicate client_id is refused by the primary key', async () => {
        const input = newClient();
        await store.clients.create(input);
        await assert.rejects(store.clients.create(input));
      });

      test('update changes only the given fields, bumps updated_at and leaves the rest', async () => {
        const created = await store.clients.create(newClient());
        await new Promise((r) => setTimeout(r, 5));
        const updated = await store.clients.update(created.clientId, { name: 'renamed', scopes: ['read'], disabled: true, jwks: { keys: [{ kty: 'OKP' }] } });
        assert.equal(updated!.name, 'renamed');
        assert.deepEqual(updated!.scopes, ['read']);
        assert.equal(updated!.disabled, true);
        assert.deepEqual(updated!.jwks, { keys: [{ kty: 'OKP' }] });
        assert.deepEqual(updated!.audiences, created.audiences);
        assert.ok(updated!.secretHash!.equals(created.secretHash!));
        assert.ok(updated!.updatedAt.getTime() > created.updatedAt.getTime());
      });

      test('an empty patch returns the client unchanged; a patch of an unknown client is undefined', async () => {
        const created = await store.clients.create(newClient());
        const same = await store.clients.update(created.clientId, {});
        assert.equal(same!.updatedAt.getTime(), created.updatedAt.getTime());
        assert.equal(await store.clients.update('no-such-client', { name: 'x' }), undefined);
      });

      test('list returns clients ordered by client_id', async () => {
        const ids = ['zz-list', 'aa-list', 'mm-list'];
        for (const id of ids) await store.clients.create(newClient({ clientId: id }));
        const listed = (await store.clients.list()).map((c) => c.clientId).filter((id) => id.endsWith('-list'));
        assert.deepEqual(listed, ['aa-list', 'mm-list', 'zz-list']);
      });

      test('delete removes the client and cascades to its refresh families; deleting twice reports false', async () => {
        const created = await store.clients.create(newClient());
        const familyId = randomUUID();
        await store.refreshFamilies.create(
          { familyId, clientId: created.clientId, subject: 's', scope: 'read', audience: ['api'], createdAt: new Date(), expiresAt: new Date(Date.now() + 60_000) },
          randomBytes(32),
        );
        assert.equal(await store.clients.delete(created.clientId), true);
        assert.equal(await store.clients.get(created.clientId), undefined);
        assert.equal(await store.refreshFamilies.get(familyId), undefined);
        assert.equal(await store.clients.delete(created.clientId), false);
      });

      test('an unknown auth method is refused by the schema', async () => {
        await assert.rejects(store.clients.create(newClient({ authMethod: 'none' as never })));
      });
    });

    describe('revocations', () => {
      test('add returns the entry with an increasing seq; since returns entries after seq, oldest first', async () => {
        const start = await store.revocations.latestSeq();
        const a = await store.revocations.add('jti', `jti-${randomUUID()}`, new Date(Date.now() + 60_000));
        const b = await store.revocations.add('family', `fam-${randomUUID()}`, null);
        assert.ok(a.seq > start);
        assert.ok(b.seq > a.seq);
        assert.equal(typeof a.seq, 'number');
        assert.ok(a.expiresAt instanceof Date);
        assert.equal(b.expiresAt, null);
        const since = await store.revocations.since(start, 100, new Date());
        assert.deepEqual(since.map((r) => r.seq), [a.seq, b.seq]);
        assert.deepEqual((await store.revocations.since(a.seq, 100, new Date())).map((r) => r.seq), [b.seq]);
        assert.equal(await store.revocations.latestSeq(), b.seq);
      });

      test('since leaves out entries that have expired and honours the limit', async () => {
        const start = await store.revocations.latestSeq();
        const now = new Date('2031-01-01T00:00:00Z');
        const expired = await store.revocations.add('jti', 'expired-one', new Date(now.getTime() - 1));
        const expiringNow = await store.revocations.add('jti', 'expires-exactly-now', now);
        const live1 = await store.revocations.add('jti', 'live-1', new Date(now.getTime() + 1000));
        const live2 = await store.revocations.add('jti', 'live-2', null);
        const all = await store.revocations.since(start, 100, now);
        assert.deepEqual(all.map((r) => r.seq), [live1.seq, live2.seq]);
        assert.ok(!all.some((r) => r.seq === expired.seq || r.seq === expiringNow.seq));
        assert.deepEqual((await store.revocations.since(start, 1, now)).map((r) => r.seq), [live1.seq]);
      });

      test('isRevoked finds an entry by kind and value only', async () => {
        const value = `jti-${randomUUID()}`;
        await store.revocations.add('jti', value, null);
        assert.equal(await store.revocations.isRevoked('jti', value), true);
        assert.equal(await store.revocations.isRevoked('family', value), false);
        assert.equal(await store.revocations.isRevoked('jti', `${value}-other`), false);
      });

      test('currentEpoch is the newest epoch numerically, not lexically', async () => {
        const before = await store.revocations.currentEpoch();
        await store.revocations.add('epoch', '999999999', null);
        await store.revocations.add('epoch', '1000000000', null);
        await store.revocations.add('epoch', '1000000001', null);
        await store.revocations.add('epoch', '200', null);
        assert.equal(await store.revocations.currentEpoch(), Math.max(before, 1000000001));
      });

      test('an unknown kind is refused by the schema', async () => {
        await assert.rejects(store.revocations.add('everything' as never, 'x', null));
      });

      test('purgeExpired deletes exactly the expired entries and keeps permanent ones', async () => {
        const now = new Date('2040-01-01T00:00:00Z');
        const gone = await store.revocations.add('jti', `purge-${randomUUID()}`, new Date(now.getTime() - 1000));
        const kept = await store.revocations.add('jti', `keep-${randomUUID()}`, new Date(now.getTime() + 1000));
        const permanent = await store.revocations.add('epoch', '5', null);
        const purged = await store.revocations.purgeExpired(now);
        assert.ok(purged >= 1);
        assert.equal(await store.revocations.isRevoked('jti', gone.value), false);
        assert.equal(await store.revocations.isRevoked('jti', kept.value), true);
        assert.equal(await store.revocations.isRevoked('epoch', permanent.value), true);
      });
    });

    describe('signing keys', () => {
      test('listLive returns keys not yet retired at now, oldest activation first', async () => {
        const now = new Date('2050-06-01T00:00:00Z');
        const old = signingKey({ activatesAt: new Date('2050-01-01T00:00:00Z'), retiresAt: new Date('2050-05-01T00:00:00Z') });
        const retiringLater = signingKey({ activatesAt: new Date('2050-02-01T00:00:00Z'), retiresAt: new Date('2050-07-01T00:00:00Z') });
        const retiringNow = signingKey({ activatesAt: new Date('2050-02-15T00:00:00Z'), retiresAt: now });
        const current = signingKey({ activatesAt: new Date('2050-03-01T00:00:00Z') });
        const pending = signingKey({ activatesAt: new Date('2050-06-02T00:00:00Z') });
        for (const key of [pending, current, old, retiringNow, retiringLater]) await store.signingKeys.insert(key);
        const live = (await store.signingKeys.listLive(now)).map((k) => k.kid);
        const ours = live.filter((kid) => [old, retiringLater, retiringNow, current, pending].some((k) => k.kid === kid));
        assert.deepEqual(ours, [retiringLater.kid, current.kid, pending.kid]);
        const record = (await store.signingKeys.listAll()).find((k) => k.kid === current.kid)!;
        assert.deepEqual(record.publicJwk, current.publicJwk);
        assert.ok(record.activatesAt instanceof Date);
      });

      test('a duplicate kid is refused', async () => {
        const key = signingKey();
        await store.signingKeys.insert(key);
        await assert.rejects(store.signingKeys.insert(key));
      });

      test('scheduleRetirement sets a retirement on every other live key, never postpones one, and skips the new key', async () => {
        // A fresh store so other tests' keys do not take part.
        const own = await database.open();
        try {
          const now = new Date('2060-01-01T00:00:00Z');
          const retireAt = new Date('2060-01-02T00:00:00Z');
          const unscheduled = signingKey({ activatesAt: new Date('2059-01-01T00:00:00Z') });
          const laterRetirement = signingKey({ activatesAt: new Date('2059-02-01T00:00:00Z'), retiresAt: new Date('2060-02-01T00:00:00Z') });
          const earlierRetirement = signingKey({ activatesAt: new Date('2059-03-01T00:00:00Z'), retiresAt: new Date('2060-01-01T12:00:00Z') });
          const alreadyRetired = signingKey({ activatesAt: new Date('2058-01-01T00:00:00Z'), retiresAt: new Date('2059-06-01T00:00:00Z') });
          const fresh = signingKey({ activatesAt: now });
          for (const key of [unscheduled, laterRetirement, earlierRetirement, alreadyRetired, fresh]) await own.signingKeys.insert(key);

          const changed = await own.signingKeys.scheduleRetirement(fresh.kid, retireAt, now);
          assert.deepEqual(changed.sort(), [unscheduled.kid, laterRetirement.kid].sort());
          const byKid = new Map((await own.signingKeys.listAll()).map((k) => [k.kid, k]));
          assert.equal(byKid.get(unscheduled.kid)!.retiresAt!.getTime(), retireAt.getTime());
          assert.equal(byKid.get(laterRetirement.kid)!.retiresAt!.getTime(), retireAt.getTime());
          assert.equal(byKid.get(earlierRetirement.kid)!.retiresAt!.getTime(), new Date('2060-01-01T12:00:00Z').getTime());
          assert.equal(byKid.get(alreadyRetired.kid)!.retiresAt!.getTime(), new Date('2059-06-01T00:00:00Z').getTime());
          assert.equal(byKid.get(fresh.kid)!.retiresAt, null);

          // Retiring others "now" (compromise) brings every other key forward to now.
          const compromised = await own.signingKeys.scheduleRetirement(fresh.kid, now, now);
          assert.deepEqual(compromised.sort(), [unscheduled.kid, laterRetirement.kid, earlierRetirement.kid].sort());
          assert.deepEqual((await own.signingKeys.listLive(now)).map((k) => k.kid), [fresh.kid]);
        } finally {
          await own.close();
        }
      });
    });

    describe('client assertion jtis', () => {
      test('the first use of a jti is remembered, a replay by the same client is refused, another client may use it', async () => {
        const jti = randomUUID();
        const exp = new Date(Date.now() + 60_000);
        assert.equal(await store.assertionJtis.remember('client-a', jti, exp), true);
        assert.equal(await store.assertionJtis.remember('client-a', jti, exp), false);
        assert.equal(await store.assertionJtis.remember('client-b', jti, exp), true);
      });

      test('concurrent uses of one jti: exactly one is accepted', async () => {
        const jti = randomUUID();
        const exp = new Date(Date.now() + 60_000);
        const results = await Promise.all(Array.from({ length: 8 }, () => store.assertionJtis.remember('client-c', jti, exp)));
        assert.equal(results.filter(Boolean).length, 1);
      });

      test('purgeExpired forgets expired jtis only', async () => {
        const now = new Date('2045-01-01T00:00:00Z');
        const old = randomUUID();
        const live = randomUUID();
        await store.assertionJtis.remember('client-d', old, new Date(now.getTime() - 1));
        await store.assertionJtis.remember('client-d', live, new Date(now.getTime() + 60_000));
        assert.ok((await store.assertionJtis.purgeExpired(now)) >= 1);
        assert.equal(await store.assertionJtis.remember('client-d', old, new Date(now.getTime() + 60_000)), true);
        assert.equal(await store.assertionJtis.remember('client-d', live, new Date(now.getTime() + 60_000)), false);
      });
    });
  });
}
