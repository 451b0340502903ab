import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, generateSecret } from 'jose';
import { KEY_CHANNEL } from '../../src/tokens/index.js';
import { FakeIssuer, generateIssuerKey } from '../support/fake-issuer.js';
import { eventually, refusalCode, startTestEdge, verify, withEdge } from './edge-harness.js';

describe('JWKS cache', () => {
  it('refreshes for an unknown kid at most once per EDGE_KID_MISS_MIN_INTERVAL', async () => {
    await withEdge({ env: { EDGE_KID_MISS_MIN_INTERVAL: '1h' } }, async ({ issuer, edge }) => {
      const fetchesAtStart = issuer.jwksRequests;
      for (let i = 0; i < 20; i++) {
        const response = await verify(edge, await issuer.sign({}, { key: await generateIssuerKey('ES256', `random-${i}`) }));
        assert.equal(await refusalCode(response), 'token_key_unknown');
      }
      assert.ok(issuer.jwksRequests - fetchesAtStart <= 1, `${issuer.jwksRequests - fetchesAtStart} refreshes for 20 misses`);
    });
  });

  it('resolves a new key on its first miss, even right after the key set was loaded', async () => {
    await withEdge({ env: { EDGE_KID_MISS_MIN_INTERVAL: '1h' } }, async ({ issuer, edge }) => {
      const rotated = await issuer.addKey();
      assert.equal((await verify(edge, await issuer.sign({}, { key: rotated }))).status, 200);
    });
  });

  it('decides known keys from memory: repeated and new tokens cause no call to token-service', async () => {
    await withEdge({}, async ({ issuer, edge }) => {
      const fetchesAtStart = issuer.jwksRequests;
      const repeated = await issuer.sign();
      for (let i = 0; i < 25; i++) assert.equal((await verify(edge, repeated)).status, 200);
      for (let i = 0; i < 25; i++) assert.equal((await verify(edge, await issuer.sign())).status, 200);
      assert.equal(issuer.jwksRequests, fetchesAtStart);
    });
  });

  it('refreshes when token-service announces a published key on the bus', async () => {
    await withEdge({ env: { EDGE_KID_MISS_MIN_INTERVAL: '1h' } }, async ({ issuer, edge, bus }) => {
      const fetchesAtStart = issuer.jwksRequests;
      const next = await issuer.addKey();
      await bus.publish(KEY_CHANNEL, { type: 'published', kid: next.kid });
      assert.ok(await eventually(async () => issuer.jwksRequests > fetchesAtStart, 2000));
      assert.equal((await verify(edge, await issuer.sign({}, { key: next }))).status, 200);
    });
  });

  it('serves cached keys only up to EDGE_JWKS_MAX_STALE while token-service is down', async () => {
    let offset = 0;
    const now = () => Date.now() + offset;
    await withEdge({ now, env: { EDGE_JWKS_MAX_STALE: '1m', EDGE_BREAKER_RESET: '10ms' } }, async ({ issuer, edge }) => {
      const token = await issuer.sign();
      await issuer.stop();
      assert.equal((await verify(edge, token)).status, 200);
      offset = 2 * 60_000;
      const refused = await verify(edge, token);
      assert.equal(refused.status, 503);
      assert.equal(await refusalCode(refused), 'key_set_unavailable');
      const ready = await fetch(`${edge.url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal(((await ready.json()) as { dependencies: { jwks: { detail: string } } }).dependencies.jwks.detail, 'key set too stale');
    });
  });

  it('never trusts symmetric keys, private keys, encryption keys or duplicated kids from the JWKS', async () => {
    const issuer = await FakeIssuer.start();
    const secret = await exportJWK(await generateSecret('HS256', { extractable: true }));
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const duplicate = await generateIssuerKey('ES256', 'twice');
    const duplicate2 = await generateIssuerKey('ES256', 'twice');
    const encryption = await generateIssuerKey('ES256', 'enc');
    issuer.extraJwks.push(
      { ...secret, kid: 'hmac', alg: 'HS256' },
      { ...(await exportJWK(privateKey)), kid: 'private', alg: 'ES256' },
      { ...encryption.publicJwk, use: 'enc' },
      duplicate.publicJwk,
      duplicate2.publicJwk,
    );
    const edge = await startTestEdge({ issuer, env: { EDGE_KID_MISS_MIN_INTERVAL: '1h' } });
    try {
      const hmacToken = await issuer.sign({}, { key: { ...duplicate, kid: 'hmac' } });
      assert.equal(await refusalCode(await verify(edge, hmacToken)), 'token_key_unknown');
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({}, { key: encryption }))), 'token_key_unknown');
      assert.equal(await refusalCode(await verify(edge, await issuer.sign({}, { key: duplicate }))), 'token_key_unknown');
      const skipped = edge.logs
        .map((line) => JSON.parse(line) as { msg: string; kid?: string })
        .filter((entry) => entry.msg === 'jwks: key skipped' || entry.msg === 'jwks: duplicate kid; key skipped');
      assert.deepEqual([...new Set(skipped.map((entry) => entry.kid))].sort(), ['enc', 'hmac', 'private', 'twice']);
      assert.ok(!edge.logs.join('').includes(String((await exportJWK(privateKey)).d)), 'private key material is never logged');
    } finally {
      await edge.close();
      await issuer.close();
    }
  });
});
