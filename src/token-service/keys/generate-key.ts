import { generateKeyPairSync } from 'node:crypto';
import type { SigningAlgorithm } from '../../platform/index.js';
import { jwkThumbprint } from '../../tokens/index.js';

export interface GeneratedKey {
  kid: string;
  publicJwk: Record<string, unknown>;
  privateJwk: Record<string, unknown>;
}

function keyPair(alg: SigningAlgorithm) {
  switch (alg) {
    case 'ES256':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' });
    case 'EdDSA':
      return generateKeyPairSync('ed25519');
    case 'RS256':
      return generateKeyPairSync('rsa', { modulusLength: 2048 });
  }
}

/** A fresh signing key whose kid is its RFC 7638 thumbprint. */
export function generateSigningKey(alg: SigningAlgorithm): GeneratedKey {
  const { publicKey, privateKey } = keyPair(alg);
  const publicJwk = publicKey.export({ format: 'jwk' }) as Record<string, unknown>;
  const kid = jwkThumbprint(publicJwk);
  return {
    kid,
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
    privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
  };
}
