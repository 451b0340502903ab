import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CompactSign, SignJWT, base64url } from 'jose';
import { createHmac } from 'node:crypto';
import { generateIssuerKey, TEST_AUDIENCE, type FakeIssuer } from '../support/fake-issuer.js';
import { refusalCode, startEdgeWithIssuer, verify, type EdgeWithIssuer, type TestEdge } from './edge-harness.js';

const encode = (value: unknown) => base64url.encode(JSON.stringify(value));

describe('attack suite: every forged or unacceptable token is refused with its own code', () => {
  let setup: EdgeWithIssuer;
  let issuer: FakeIssuer;
  let edge: TestEdge;

  before(async () => {
    setup = await startEdgeWithIssuer();
    ({ issuer, edge } = setup);
  });
  after(() => setup.close());

  async function expectRefused(token: string, status: number, code: string) {
    const response = await verify(edge, token);
    assert.equal(response.status, status, `status for ${code}`);
    assert.equal(response.headers.get('x-auth-error'), code);
    assert.equal(await refusalCode(response), code);
    if (status === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="auth-edge", error="invalid_token"/);
  }

  it('admits a well-formed token (the baseline every attack departs from)', async () => {
    const response = await verify(edge, await issuer.sign());
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-auth-subject'), 'user-1');
  });

  it('refuses alg none', async () => {
    const token = `${encode({ alg: 'none', typ: 'at+jwt', kid: issuer.keys[0]!.kid })}.${encode(issuer.claims())}.`;
    await expectRefused(token, 401, 'token_algorithm_not_allowed');
  });

  it('refuses a token signed with the public key as an HMAC secret', async () => {
    const key = issuer.keys[0]!;
    const signingInput = `${encode({ alg: 'HS256', typ: 'at+jwt', kid: key.kid })}.${encode(issuer.claims())}`;
    const secret = JSON.stringify(key.publicJwk);
    const mac = createHmac('sha256', secret).update(signingInput).digest('base64url');
    await expectRefused(`${signingInput}.${mac}`, 401, 'token_algorithm_not_allowed');
  });

  it('refuses a token whose alg differs from the one its key advertises', async () => {
    const rsa = await generateIssuerKey('RS256');
    const token = await issuer.sign({}, { key: { ...rsa, kid: issuer.keys[0]!.kid } });
    await expectRefused(token, 401, 'token_algorithm_mismatch');
  });

  it('refuses an unknown kid', async () => {
    await expectRefused(await issuer.sign({}, { key: await generateIssuerKey('ES256', 'no-such-kid') }), 401, 'token_key_unknown');
  });

  it('refuses a token with no kid', async () => {
    const key = issuer.keys[0]!;
    const token = await new SignJWT(issuer.claims()).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).sign(key.privateKey);
    await expectRefused(token, 401, 'token_kid_missing');
  });

  for (const kid of ['../../../../etc/passwd', "' OR '1'='1", 'k1; DROP TABLE signing_keys;--', '%2e%2e%2fkeys']) {
    it(`refuses a kid carrying path traversal or SQL: ${kid}`, async () => {
      const key = await generateIssuerKey('ES256', kid);
      await expectRefused(await issuer.sign({}, { key }), 401, 'token_key_unknown');
    });
  }

  for (const header of ['jku', 'x5u', 'jwk'] as const) {
    it(`ignores a ${header} header pointing at the attacker's key`, async () => {
      const attacker = await generateIssuerKey('ES256', issuer.keys[0]!.kid);
      const value = header === 'jwk' ? attacker.publicJwk : 'https://attacker.example/jwks.json';
      await expectRefused(await issuer.sign({}, { key: attacker, header: { [header]: value } }), 401, 'token_signature_invalid');
    });
  }

  it('refuses a token signed by another issuer\'s key that carries the same kid', async () => {
    const impostor = await generateIssuerKey('ES256', issuer.keys[0]!.kid);
    await expectRefused(await issuer.sign({}, { key: impostor }), 401, 'token_signature_invalid');
  });

  it('refuses an expired token', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.sign({ iat: now - 600, exp: now - 60 }), 401, 'token_expired');
  });

  it('accepts a token expired by less than the clock skew', async () => {
    const now = Math.floor(Date.now() / 1000);
    assert.equal((await verify(edge, await issuer.sign({ iat: now - 600, exp: now - 10 }))).status, 200);
  });

  it('refuses a token whose nbf is in the future', async () => {
    await expectRefused(await issuer.sign({ nbf: Math.floor(Date.now() / 1000) + 120 }), 401, 'token_not_yet_valid');
  });

  it('refuses a token whose iat is far in the future', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRefused(await issuer.sign({ iat: now + 3600, exp: now + 7200 }), 401, 'token_issued_in_future');
  });

  it('refuses the wrong issuer, even one differing only by a trailing slash', async () => {
    await expectRefused(await issuer.sign({ iss: 'https://evil.example' }), 401, 'token_issuer_invalid');
    await expectRefused(await issuer.sign({ iss: `${issuer.issuer}/` }), 401, 'token_issuer_invalid');
  });

  it('refuses the wrong audience', async () => {
    await expectRefused(await issuer.sign({ aud: 'https://other-api.test' }), 401, 'token_audience_invalid');
  });

  it('accepts an audience array that includes the route audience', async () => {
    assert.equal((await verify(edge, await issuer.sign({ aud: ['https://other-api.test', TEST_AUDIENCE] }))).status, 200);
  });

  it('refuses the wrong typ, and a missing one', async () => {
    await expectRefused(await issuer.sign({}, { header: { typ: 'JWT' } }), 401, 'token_type_invalid');
    const key = issuer.keys[0]!;
    const untyped = await new SignJWT(issuer.claims()).setProtectedHeader({ alg: 'ES256', kid: key.kid }).sign(key.privateKey);
    await expectRefused(untyped, 401, 'token_type_invalid');
  });

  it('accepts typ written as the full media type', async () => {
    assert.equal((await verify(edge, await issuer.sign({}, { header: { typ: 'application/AT+JWT' } }))).status, 200);
  });

  it('refuses a stripped signature', async () => {
    const [header, payload] = (await issuer.sign()).split('.');
    await expectRefused(`${header}.${payload}.`, 401, 'token_signature_invalid');
  });

  it('refuses a tampered payload', async () => {
    const [header, , sig] = (await issuer.sign()).split('.');
    await expectRefused(`${header}.${encode(issuer.claims({ sub: 'admin', scope: 'read write admin' }))}.${sig}`, 401, 'token_signature_invalid');
  });

  it('refuses a token over the size limit before parsing it', async () => {
    await expectRefused(await issuer.sign({ padding: 'x'.repeat(9000) }), 401, 'token_too_large');
  });

  it('refuses structurally broken tokens', async () => {
    for (const token of ['abc', 'a.b', 'a.b.c.d', `${encode([1])}.${encode({})}.x`, `bm90LWpzb24.${encode({})}.x`]) {
      await expectRefused(token, 401, 'token_malformed');
    }
  });

  it('refuses a correctly signed token that lacks required claims', async () => {
    const key = issuer.keys[0]!;
    const { jti: _jti, ...claims } = issuer.claims();
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' }).sign(key.privateKey);
    await expectRefused(token, 401, 'token_claims_invalid');
  });

  it('refuses a correctly signed payload that is not JSON', async () => {
    const key = issuer.keys[0]!;
    const token = await new CompactSign(new TextEncoder().encode('not json'))
      .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
      .sign(key.privateKey);
    await expectRefused(token, 401, 'token_malformed');
  });

  it('refuses a revoked jti', async () => {
    const jti = 'revoked-jti-1';
    const token = await issuer.sign({ jti });
    assert.equal((await verify(edge, token)).status, 200);
    await issuer.revoke('jti', jti);
    await expectRefused(token, 401, 'token_revoked');
  });

  it('refuses a token from a revoked refresh family', async () => {
    const token = await issuer.sign({ sid: 'family-7' });
    await issuer.revoke('family', 'family-7');
    await expectRefused(token, 401, 'token_revoked');
  });

  it('refuses a token issued at or before the revoke-all epoch, and admits one issued after', async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = await issuer.sign({ iat: now - 5 });
    const atEpoch = await issuer.sign({ iat: now - 2 });
    await issuer.revoke('epoch', String(now - 2));
    await expectRefused(before, 401, 'token_revoked_by_epoch');
    await expectRefused(atEpoch, 401, 'token_revoked_by_epoch');
    assert.equal((await verify(edge, await issuer.sign({ iat: now }))).status, 200);
  });

  it('refuses a token from a retired key', async () => {
    const retiring = await issuer.addKey('EdDSA');
    const token = await issuer.sign({}, { key: retiring });
    assert.equal((await verify(edge, token)).status, 200);
    await issuer.revoke('key', retiring.kid);
    await expectRefused(token, 401, 'token_key_retired');
  });

  it('refuses a token bound to a DPoP key when presented as a bearer token', async () => {
    await expectRefused(await issuer.sign({ cnf: { jkt: 'abc' } }), 401, 'token_requires_dpop');
  });

  it('refuses missing, malformed and unsupported credentials with distinct codes', async () => {
    const missing = await verify(edge, undefined);
    assert.equal(missing.status, 401);
    assert.equal(missing.headers.get('www-authenticate'), 'Bearer realm="auth-edge"');
    assert.equal(await refusalCode(missing), 'credentials_missing');
    const basic = await verify(edge, undefined, { headers: { authorization: 'Basic dXNlcjpwYXNz' } });
    assert.equal(basic.status, 401);
    assert.equal(await refusalCode(basic), 'credentials_scheme_unsupported');
    const malformed = await verify(edge, undefined, { headers: { authorization: 'Bearer a b c' } });
    assert.equal(malformed.status, 400);
    assert.equal(await refusalCode(malformed), 'credentials_malformed');
    const dpop = await verify(edge, undefined, { headers: { authorization: `DPoP ${await issuer.sign()}` } });
    assert.equal(dpop.status, 401);
    assert.equal(await refusalCode(dpop), 'dpop_unsupported');
  });

  it('answers 403 insufficient_scope naming the required scopes', async () => {
    const response = await verify(edge, await issuer.sign({ scope: 'write' }));
    assert.equal(response.status, 403);
    assert.equal(await refusalCode(response), 'insufficient_scope');
    assert.equal(
      response.headers.get('www-authenticate'),
      'Bearer realm="auth-edge", error="insufficient_scope", error_description="The access token lacks a required scope", scope="read"',
    );
  });

  it('never writes a token to a log line, whatever it refused', () => {
    const all = edge.logs.join('');
    assert.ok(all.includes('edge: request refused'), 'refusals are logged');
    assert.doesNotMatch(all, /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/);
  });
});
