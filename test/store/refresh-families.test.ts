import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Queryable, RefreshFamily, RotationResult, Store } from '../../src/store/index.js';
import { DATABASES } from '../support/databases.js';

const hash = (token: string) => createHash('sha256').update(token).digest();
const noHooks = {
  validate: () => undefined,
  onReuse: async () => undefined,
};

for (const database of DATABASES) {
  describe(`refresh families on ${database.name}`, () => {
    let store: Store;
    let clientId: string;
    before(async () => {
      store = await database.open();
      clientId = `c_${randomUUID()}`;
      await store.clients.create({
        clientId, name: 'family client', authMethod: 'client_secret_basic', secretHash: randomBytes(32), jwks: null,
        grantTypes: ['refresh_token'], scopes: ['read'], audiences: ['api'], accessTokenTtlSeconds: null, boundIdentity: null, disabled: false,
      });
    });
    after(() => store.close());

    async function newFamily(fields: Partial<RefreshFamily> = {}): Promise<{ familyId: string; token: string }> {
      const familyId = randomUUID();
      const token = randomUUID();
      const createdAt = fields.createdAt ?? new Date();
      await store.refreshFamilies.create(
        { familyId, clientId, subject: 'user-1', scope: 'read', audience: ['api'], createdAt, expiresAt: fields.expiresAt ?? new Date(createdAt.getTime() + 3_600_000) },
        hash(token),
      );
      return { familyId, token };
    }

    test('create stores the family and its first token as live', async () => {
      const { familyId, token } = await newFamily();
      const family = await store.refreshFamilies.get(familyId);
      assert.equal(family!.clientId, clientId);
      assert.equal(family!.subject, 'user-1');
      assert.deepEqual(family!.audience, ['api']);
      assert.equal(family!.revokedAt, null);
      assert.equal((await store.refreshFamilies.findByActiveToken(hash(token)))!.familyId, familyId);
    });

    test('rotate spends the token, makes its successor live and counts generations', async () => {
      const { familyId, token } = await newFamily();
      const next1 = randomUUID();
      const r1 = await store.refreshFamilies.rotate(hash(token), hash(next1), new Date(), noHooks);
      assert.equal(r1.outcome, 'rotated');
      assert.equal((r1 as Extract<RotationResult, { outcome: 'rotated' }>).generation, 1);
      assert.equal(await store.refreshFamilies.findByActiveToken(hash(token)), undefined);
      assert.equal((await store.refreshFamilies.findByActiveToken(hash(next1)))!.familyId, familyId);
      const next2 = randomUUID();
      const r2 = await store.refreshFamilies.rotate(hash(next1), hash(next2), new Date(), noHooks);
      assert.equal((r2 as Extract<RotationResult, { outcome: 'rotated' }>).generation, 2);
    });

    test('an unknown token is reported unknown and changes nothing', async () => {
      const result = await store.refreshFamilies.rotate(hash('never-issued'), hash(randomUUID()), new Date(), noHooks);
      assert.deepEqual(result, { outcome: 'unknown' });
    });

    test('reusing a rotated token revokes the whole family, runs onReuse once, and kills the live successor', async () => {
      const { familyId, token } = await newFamily();
      const successor = randomUUID();
      await store.refreshFamilies.rotate(hash(token), hash(successor), new Date(), noHooks);
      const reuseCalls: string[] = [];
      const hooks = {
        validate: () => undefined,
        onReuse: async (tx: Queryable, family: RefreshFamily) => {
          reuseCalls.push(family.familyId);
          await store.revocations.add('family', family.familyId, null, tx);
        },
      };
      const reused = await store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), hooks);
      assert.equal(reused.outcome, 'reused');
      assert.equal((reused as Extract<RotationResult, { outcome: 'reused' }>).newlyRevoked, true);
      assert.equal((reused as Extract<RotationResult, { outcome: 'reused' }>).family.revokedReason, 'refresh_token_reuse');
      assert.deepEqual(reuseCalls, [familyId]);
      assert.equal(await store.revocations.isRevoked('family', familyId), true);

      const family = await store.refreshFamilies.get(familyId);
      assert.notEqual(family!.revokedAt, null);
      // The successor is live as a token but its family is revoked: rotating it is refused.
      const viaSuccessor = await store.refreshFamilies.rotate(hash(successor), hash(randomUUID()), new Date(), hooks);
      assert.equal(viaSuccessor.outcome, 'revoked');
      // A second reuse reports the family as already revoked and does not run onReuse again.
      const again = await store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), hooks);
      assert.equal(again.outcome, 'reused');
      assert.equal((again as Extract<RotationResult, { outcome: 'reused' }>).newlyRevoked, false);
      assert.deepEqual(reuseCalls, [familyId]);
    });

    test('onReuse failing rolls back the family revocation with it', async () => {
      const { familyId, token } = await newFamily();
      await store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), noHooks);
      await assert.rejects(
        store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), {
          validate: () => undefined,
          onReuse: async () => {
            throw new Error('feed write failed');
          },
        }),
        /feed write failed/,
      );
      assert.equal((await store.refreshFamilies.get(familyId))!.revokedAt, null);
    });

    test('an expired family refuses rotation', async () => {
      const createdAt = new Date(Date.now() - 10_000);
      const { token } = await newFamily({ createdAt, expiresAt: new Date(Date.now() - 1) });
      const result = await store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), noHooks);
      assert.equal(result.outcome, 'expired');
    });

    test('validate throwing rolls the rotation back: the token stays unspent and no successor exists', async () => {
      const { familyId, token } = await newFamily();
      const successor = randomUUID();
      await assert.rejects(
        store.refreshFamilies.rotate(hash(token), hash(successor), new Date(), {
          validate: () => {
            throw new Error('wrong client');
          },
          onReuse: async () => undefined,
        }),
        /wrong client/,
      );
      assert.equal((await store.refreshFamilies.findByActiveToken(hash(token)))!.familyId, familyId);
      assert.equal(await store.refreshFamilies.findByActiveToken(hash(successor)), undefined);
      // And the rightful holder can still rotate it.
      const result = await store.refreshFamilies.rotate(hash(token), hash(successor), new Date(), noHooks);
      assert.equal(result.outcome, 'rotated');
      assert.equal((await store.refreshFamilies.get(familyId))!.revokedAt, null);
    });

    test('concurrent rotation of one token from 10 parallel calls: exactly one is rotated, the rest are reuse', async () => {
      const { familyId, token } = await newFamily();
      const successors = Array.from({ length: 10 }, () => randomUUID());
      const results = await Promise.all(
        successors.map((next) => store.refreshFamilies.rotate(hash(token), hash(next), new Date(), noHooks)),
      );
      const outcomes = results.map((r) => r.outcome);
      assert.equal(outcomes.filter((o) => o === 'rotated').length, 1, `outcomes: ${outcomes.join(',')}`);
      assert.ok(outcomes.every((o) => o === 'rotated' || o === 'reused'), `outcomes: ${outcomes.join(',')}`);
      // Exactly one successor was ever recorded.
      const live = await Promise.all(successors.map((next) => store.refreshFamilies.findByActiveToken(hash(next))));
      assert.equal(live.filter((f) => f !== undefined).length, 1);
      const rows = await store.db.query<{ n: number }>('SELECT count(*)::int AS n FROM refresh_tokens WHERE family_id = $1', [familyId]);
      assert.equal(rows[0]!.n, 2);
    });

    test('revoke marks the family once; a second revoke or an unknown family reports false', async () => {
      const { familyId } = await newFamily();
      assert.equal(await store.refreshFamilies.revoke(familyId, 'admin_revoked', new Date()), true);
      assert.equal(await store.refreshFamilies.revoke(familyId, 'admin_revoked', new Date()), false);
      assert.equal(await store.refreshFamilies.revoke('no-such-family', 'admin_revoked', new Date()), false);
      assert.equal((await store.refreshFamilies.get(familyId))!.revokedReason, 'admin_revoked');
    });

    test('revokeAll revokes every live family created at or before now, and none created after', async () => {
      const now = new Date(Date.now() + 60_000);
      const a = await newFamily();
      const b = await newFamily();
      const later = await newFamily({ createdAt: new Date(now.getTime() + 1000) });
      const count = await store.refreshFamilies.revokeAll('revoke_all', now);
      assert.ok(count >= 2);
      assert.equal((await store.refreshFamilies.get(a.familyId))!.revokedReason, 'revoke_all');
      assert.equal((await store.refreshFamilies.get(b.familyId))!.revokedReason, 'revoke_all');
      assert.equal((await store.refreshFamilies.get(later.familyId))!.revokedAt, null);
      assert.equal((await store.refreshFamilies.rotate(hash(a.token), hash(randomUUID()), new Date(), noHooks)).outcome, 'revoked');
      assert.equal(await store.refreshFamilies.revokeAll('revoke_all', now), 0);
    });

    test('purgeExpired deletes expired families and their tokens', async () => {
      const now = new Date(Date.now() + 10 * 3_600_000);
      const { familyId, token } = await newFamily();
      assert.ok((await store.refreshFamilies.purgeExpired(now)) >= 1);
      assert.equal(await store.refreshFamilies.get(familyId), undefined);
      assert.equal((await store.refreshFamilies.rotate(hash(token), hash(randomUUID()), new Date(), noHooks)).outcome, 'unknown');
    });
  });
}
