import { KeyObject } from 'node:crypto';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { ASYMMETRIC_ALGORITHMS } from '../../tokens/index.js';

/** One public key from the JWKS, imported once when the set loads, never per request. */
export interface VerificationKey {
  kid: string;
  /** The one algorithm this key verifies; a token must name exactly it. */
  alg: (typeof ASYMMETRIC_ALGORITHMS)[number];
  key: CryptoKey;
  /** The same key as a node:crypto KeyObject, which the signature check verifies with. */
  keyObject: KeyObject;
}

const ALLOWED = new Set<string>(ASYMMETRIC_ALGORITHMS);

/** The algorithm a JWK is for: its `alg`, or the only one its curve allows. RSA must say which. */
function algorithmOf(jwk: JWK): string | undefined {
  if (jwk.alg !== undefined) return jwk.alg;
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  if (jwk.kty === 'EC' && jwk.crv === 'P-384') return 'ES384';
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return undefined;
}

/**
 * Imports a published key, or says why it is skipped. Symmetric keys, keys holding private
 * parts, encryption keys and keys without a usable algorithm are never trusted.
 */
export async function importVerificationKey(jwk: JWK): Promise<VerificationKey | string> {
  if (typeof jwk.kid !== 'string' || jwk.kid.length === 0) return 'no kid';
  if (jwk.kty !== 'EC' && jwk.kty !== 'OKP' && jwk.kty !== 'RSA') return `key type ${String(jwk.kty)} not accepted`;
  if (jwk.d !== undefined) return 'contains private key material';
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use ${jwk.use} is not sig`;
  const alg = algorithmOf(jwk);
  if (alg === undefined || !ALLOWED.has(alg)) return `algorithm ${String(alg)} not accepted`;
  try {
    const key = await importJWK(jwk, alg);
    if (key instanceof Uint8Array) return 'symmetric key';
    const keyObject = KeyObject.from(key);
    // jose refused short RSA keys when it verified; the check now lives here, once per key.
    if (keyObject.asymmetricKeyType === 'rsa' && (keyObject.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return 'RSA key shorter than 2048 bits';
    return { kid: jwk.kid, alg: alg as VerificationKey['alg'], key, keyObject };
  } catch (error) {
    return `cannot be imported (${error instanceof Error ? error.message : 'unknown error'})`;
  }
}
