import assert from 'node:assert/strict';
import { generateKeyPairSync, KeyObject, sign } from 'node:crypto';
import { describe, it } from 'node:test';
import { exportJWK, generateKeyPair, type CryptoKey } from 'jose';
import { importVerificationKey } from '../../src/edge/keys/verification-key.js';
import { refusalCode, verify, withEdge } from './edge-harness.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact ES256 JWS signed by hand, so the header can carry what jose would refuse to sign. */
function signES256(header: Record<string, unknown>, claims: Record<string, unknown>, privateKey: CryptoKey): string {
  const input = `${encode(header)}.${encode(claims)}`;
  const signature = sign('sha256', Buffer.from(input), { key: KeyObject.from(privateKey), dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

describe('signature check on node:crypto', () => {
  it('admits a token signed by the published key, and refuses a flipped signature bit', async () => {
    await withEdge({}, async ({ issuer, edge }) => {
      const key = issuer.keys[0]!;
      const token = signES256({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' }, issuer.claims(), key.privateKey);
      assert.equal((await verify(edge, token)).status, 200);
      const last = token.at(-2) === 'A' ? 'B' : 'A';
      const flipped = `${token.slice(0, -2)}${last}${token.at(-1)}`;
      assert.equal(await refusalCode(await verify(edge, flipped)), 'token_signature_invalid');
    });
  });

  it('refuses a validly signed token whose header lists critical extensions (RFC 7515 §4.1.11)', async () => {
    await withEdge({}, async ({ issuer, edge }) => {
      const key = issuer.keys[0]!;
      const token = signES256({ alg: 'ES256', kid: key.kid, typ: 'at+jwt', crit: ['exp'], exp: 1 }, issuer.claims(), key.privateKey);
      const response = await verify(edge, token);
      assert.equal(response.status, 401);
      assert.equal(await refusalCode(response), 'token_malformed');
    });
  });

  it('never trusts an RSA key shorter than 2048 bits', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const jwk = { ...publicKey.export({ format: 'jwk' }), kid: 'short', alg: 'RS256', use: 'sig' };
    assert.equal(await importVerificationKey(jwk), 'RSA key shorter than 2048 bits');
    const { publicKey: good } = await generateKeyPair('RS256', { modulusLength: 2048 });
    const imported = await importVerificationKey({ ...(await exportJWK(good)), kid: 'ok', alg: 'RS256' });
    assert.notEqual(typeof imported, 'string');
  });
});
