import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RedisEventBus } from '../../src/store/index.js';
import { TEST_REDIS_URL } from '../support/databases.js';
import { FakeIssuer } from '../support/fake-issuer.js';
import { eventually, refusalCode, startTestEdge, verify, withEdge } from './edge-harness.js';

/** Only bus events and gap pulls may deliver revocations in these tests, never the safety-net timer. */
const NO_POLLING = { EDGE_REVOCATION_POLL_INTERVAL: '1h' };

describe('revocation reaches the edge', () => {
  it('in-process: a token revoked at the issuer is refused on the very next request', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const token = await issuer.sign({ jti: 'in-process-1' });
      assert.equal((await verify(edge, token)).status, 200);
      await issuer.revoke('jti', 'in-process-1');
      const refused = await verify(edge, token);
      assert.equal(refused.status, 401);
      assert.equal(await refusalCode(refused), 'token_revoked');
    });
  });

  it('over Redis: two edge instances both refuse a revoked token within 1 s', async () => {
    const issuerBus = new RedisEventBus(TEST_REDIS_URL);
    const buses = [new RedisEventBus(TEST_REDIS_URL), new RedisEventBus(TEST_REDIS_URL)];
    const issuer = await FakeIssuer.start({ bus: issuerBus });
    const edges = await Promise.all(buses.map((bus) => startTestEdge({ issuer, bus, env: NO_POLLING })));
    try {
      const token = await issuer.sign({ sid: `family-${Date.now()}` });
      for (const edge of edges) assert.equal((await verify(edge, token)).status, 200);
      const sid = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).sid as string;
      await issuer.revoke('family', sid);
      const refusedEverywhere = await eventually(
        async () => (await Promise.all(edges.map((edge) => verify(edge, token)))).every((r) => r.status === 401),
        1000,
        10,
      );
      assert.ok(refusedEverywhere, 'both edges refuse the revoked token within 1 s');
    } finally {
      await Promise.all(edges.map((edge) => edge.close()));
      await issuer.close();
      await Promise.all([issuerBus, ...buses].map((bus) => bus.close()));
    }
  });

  it('an edge that starts after a revocation pulls it from the feed', async () => {
    const issuer = await FakeIssuer.start();
    try {
      const token = await issuer.sign({ jti: 'before-start' });
      await issuer.revoke('jti', 'before-start');
      const edge = await startTestEdge({ issuer, env: NO_POLLING });
      try {
        const refused = await verify(edge, token);
        assert.equal(await refusalCode(refused), 'token_revoked');
      } finally {
        await edge.close();
      }
    } finally {
      await issuer.close();
    }
  });

  it('reads a long feed page by page', async () => {
    const issuer = await FakeIssuer.start();
    try {
      for (let i = 0; i < 2500; i++) await issuer.revoke('jti', `bulk-${i}`);
      const edge = await startTestEdge({ issuer, env: NO_POLLING });
      try {
        for (const jti of ['bulk-0', 'bulk-999', 'bulk-1000', 'bulk-2499']) {
          assert.equal(await refusalCode(await verify(edge, await issuer.sign({ jti }))), 'token_revoked', jti);
        }
      } finally {
        await edge.close();
      }
    } finally {
      await issuer.close();
    }
  });

  it('a seq gap on the bus makes the edge pull the events it missed', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge }) => {
      const missed = await issuer.sign({ jti: 'missed' });
      const seen = await issuer.sign({ jti: 'seen' });
      await issuer.revoke('jti', 'missed', { quiet: true });
      assert.equal((await verify(edge, missed)).status, 200, 'the quiet revocation has not arrived yet');
      await issuer.revoke('jti', 'seen');
      assert.equal(await refusalCode(await verify(edge, seen)), 'token_revoked');
      assert.ok(await eventually(async () => (await verify(edge, missed)).status === 401, 2000));
    });
  });

  it('a malformed bus event is ignored and changes nothing', async () => {
    await withEdge({ env: NO_POLLING }, async ({ issuer, edge, bus }) => {
      const token = await issuer.sign();
      await bus.publish('auth-platform.revocations', { kind: 'epoch', value: 'not-a-seq' });
      assert.equal((await verify(edge, token)).status, 200);
      assert.ok(edge.logs.some((line) => line.includes('malformed bus event ignored')));
    });
  });
});
