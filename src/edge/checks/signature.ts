import { constants, verify, type VerifyKeyObjectInput } from 'node:crypto';
import { refuse } from '../errors.js';
import type { VerificationKey } from '../keys/verification-key.js';
import type { Check } from '../verification.js';

/** How each accepted algorithm verifies on node:crypto (RFC 7518 §3). */
const VERIFY_PARAMS: Record<VerificationKey['alg'], { digest: string | null; options: Omit<VerifyKeyObjectInput, 'key'> }> = {
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { digest: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { digest: null, options: {} },
  RS256: { digest: 'sha256', options: {} },
  PS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
};

/**
 * Verifies the JWS with the key chosen by kid, on that key's one algorithm (the token's `alg` was
 * already required to equal it). Straight on node:crypto with the key's KeyObject: the edge verifies
 * every new token, and jose's WebCrypto path costs about a third more per verification. tokenHeader
 * has checked the three base64url parts; a `crit` header names extensions we do not understand,
 * so it is refused as malformed (RFC 7515 §4.1.11), as jose did.
 */
export const signature: Check = (verification) => {
  const key = verification.key!;
  if (verification.header!.crit !== undefined) return refuse('token_malformed');
  const token = verification.credential!.token;
  const firstDot = token.indexOf('.');
  const lastDot = token.lastIndexOf('.');
  const { digest, options } = VERIFY_PARAMS[key.alg];
  let valid: boolean;
  try {
    valid = verify(digest, Buffer.from(token.slice(0, lastDot)), { key: key.keyObject, ...options }, Buffer.from(token.slice(lastDot + 1), 'base64url'));
  } catch {
    return refuse('token_signature_invalid');
  }
  if (!valid) return refuse('token_signature_invalid');
  verification.payload = Buffer.from(token.slice(firstDot + 1, lastDot), 'base64url');
  return undefined;
};
