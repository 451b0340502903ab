import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** RFC 6750 §2.1 b64token. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;

/**
 * Reads the credential from `Authorization`. Only `Bearer` is accepted today; the `DPoP` scheme
 * is recognised and refused here, and is where the DPoP proof checks will hook in.
 */
export const credential: Check = (verification) => {
  const header = verification.request.authorization;
  if (header === undefined) return refuse('credentials_missing');
  const space = header.indexOf(' ');
  const scheme = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (!B64TOKEN.test(token)) return refuse('credentials_malformed');
    verification.credential = { scheme: 'Bearer', token };
    return undefined;
  }
  if (scheme === 'dpop') return refuse('dpop_unsupported');
  return refuse('credentials_scheme_unsupported');
};
