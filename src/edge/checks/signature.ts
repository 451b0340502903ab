import { compactVerify, errors } from 'jose';
import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** Verifies the JWS with the key chosen by kid, allowing only that key's algorithm. */
export const signature: Check = async (verification) => {
  const key = verification.key!;
  try {
    const { payload } = await compactVerify(verification.credential!.token, key.key, { algorithms: [key.alg] });
    verification.payload = payload;
    return undefined;
  } catch (error) {
    return error instanceof errors.JWSSignatureVerificationFailed ? refuse('token_signature_invalid') : refuse('token_malformed');
  }
};
