import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { refusalCode, verify, withEdge } from './edge-harness.js';

async function cachedCount(url: string): Promise<number> {
  const metrics = await (await fetch(`${url}/metrics`)).text();
  return Number(/^edge_verified_tokens_cached\{[^}]*\} (\d+)$/m.exec(metrics)?.[1]);
}

describe('verified-token cache', () => {
  it('still checks expiry on a cache hit', async () => {
    let offset = 0;
    await withEdge({ now: () => Date.now() + offset }, async ({ issuer, edge }) => {
      const token = await issuer.sign();
      assert.equal((await verify(edge, token)).status, 200);
      assert.equal(await cachedCount(edge.url), 1);
      offset = 10 * 60_000;
      assert.equal(await refusalCode(await verify(edge, token)), 'token_expired');
    });
  });

  it('still applies each route\'s audience and scopes to a cached token', async () => {
    const routes = [
      { name: 'reads', pathPrefix: '/reads', policy: { audience: 'https://api.test', scopes: ['read'] } },
      { name: 'admin', pathPrefix: '/admin', policy: { audience: 'https://api.test', scopes: ['admin'] } },
      { name: 'other', pathPrefix: '/other', policy: { audience: 'https://other.test' } },
    ];
    await withEdge({ routes }, async ({ issuer, edge }) => {
      const token = await issuer.sign({ scope: 'read' });
      assert.equal((await verify(edge, token, { uri: '/reads' })).status, 200);
      assert.equal(await refusalCode(await verify(edge, token, { uri: '/admin' })), 'insufficient_scope');
      assert.equal(await refusalCode(await verify(edge, token, { uri: '/other' })), 'token_audience_invalid');
    });
  });

  it('is bounded by EDGE_VERIFIED_CACHE_SIZE, and 0 turns it off', async () => {
    await withEdge({ env: { EDGE_VERIFIED_CACHE_SIZE: '2' } }, async ({ issuer, edge }) => {
      for (let i = 0; i < 5; i++) assert.equal((await verify(edge, await issuer.sign())).status, 200);
      assert.equal(await cachedCount(edge.url), 2);
    });
    await withEdge({ env: { EDGE_VERIFIED_CACHE_SIZE: '0' } }, async ({ issuer, edge }) => {
      const token = await issuer.sign();
      for (let i = 0; i < 3; i++) assert.equal((await verify(edge, token)).status, 200);
      assert.equal(await cachedCount(edge.url), 0);
    });
  });
});
