import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { base64url } from 'jose';
import { TEST_AUDIENCE, type FakeIssuer } from '../support/fake-issuer.js';
import { assertProperty } from '../support/property.js';
import { refusalCode, startEdgeWithIssuer, verify, type EdgeWithIssuer, type TestEdge } from './edge-harness.js';

const printable = (max: number) => fc.stringMatching(new RegExp(`^[\\x20-\\x7e]{0,${max}}$`));

describe('bad input gets a documented 4xx, never a 500', () => {
  let setup: EdgeWithIssuer;
  let issuer: FakeIssuer;
  let edge: TestEdge;

  before(async () => {
    setup = await startEdgeWithIssuer({
      routes: [
        { name: 'api', pathPrefix: '/api', policy: { audience: TEST_AUDIENCE }, claimHeaders: { 'X-Auth-Display-Name': 'name' } },
        { name: 'proxied', pathPrefix: '/p', upstream: 'http://127.0.0.1:1', policy: { audience: TEST_AUDIENCE } },
      ],
    });
    ({ issuer, edge } = setup);
  });
  after(() => setup.close());

  it('answers any Authorization header and original request with a non-5xx status and a code', async () => {
    await assertProperty(
      fc.asyncProperty(printable(300), printable(100), fc.constantFrom('GET', 'POST', 'x', ''), async (authorization, uri, method) => {
        const response = await verify(edge, undefined, {
          uri,
          method,
          headers: authorization.trim() === '' ? {} : { authorization },
        });
        assert.ok(response.status < 500, `${response.status} for ${JSON.stringify({ authorization, uri })}`);
        if (response.status !== 200) assert.ok(await refusalCode(response));
        else await response.text();
      }),
      { numRuns: 150 },
    );
  });

  it('answers arbitrary token-shaped garbage with 401', async () => {
    const part = fc.stringMatching(/^[A-Za-z0-9_-]{0,40}$/);
    const json = fc.json().map((text) => base64url.encode(text));
    await assertProperty(
      fc.asyncProperty(fc.oneof(part, json), fc.oneof(part, json), part, async (header, payload, signature) => {
        const response = await verify(edge, `${header}.${payload}.${signature}`);
        assert.equal(response.status, 401);
        await response.text();
      }),
      { numRuns: 150 },
    );
  });

  it('encodes claim values that cannot be header values instead of failing', async () => {
    const token = await issuer.sign({ sub: 'jürgen\r\nX-Evil: 1', name: { nested: ['x'] } } as Record<string, unknown>);
    const response = await verify(edge, token);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-subject'), encodeURIComponent('jürgen\r\nX-Evil: 1'));
    assert.equal(response.headers.get('x-evil'), null);
    assert.equal(response.headers.get('x-auth-display-name'), '{"nested":["x"]}');
  });

  it('answers an oversized header with 431 from the HTTP server, not a crash', async () => {
    const response = await verify(edge, 'a'.repeat(20_000));
    assert.ok(response.status === 431 || response.status === 401, String(response.status));
  });
});
