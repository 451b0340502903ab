import type { SigningAlgorithm } from '../platform/index.js';

/**
 * Asymmetric algorithms only: an HMAC or `none` token is never issued or accepted, which
 * rules out the classic public-key-as-HMAC-secret confusion.
 */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'] as const;

export function keyGenerationOptions(alg: SigningAlgorithm): { crv?: string; modulusLength?: number; extractable: true } {
  switch (alg) {
    case 'EdDSA':
      return { crv: 'Ed25519', extractable: true };
    case 'RS256':
      return { modulusLength: 2048, extractable: true };
    case 'ES256':
      return { extractable: true };
  }
}
