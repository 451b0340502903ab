import { refuse } from '../errors.js';
import type { Check, TokenHeader } from '../verification.js';

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * A compact JWS has three base64url parts; the first is a JSON object. Only `alg`, `kid`, `typ`
 * and `crit` are read from it: `jku`, `x5u`, `x5c` and `jwk` never choose the key.
 */
export const tokenHeader: Check = (verification) => {
  const parts = verification.credential!.token.split('.');
  if (parts.length !== 3 || parts[0] === '' || parts[1] === '') return refuse('token_malformed');
  if (!parts.every((part) => BASE64URL.test(part))) return refuse('token_malformed');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8'));
  } catch {
    return refuse('token_malformed');
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return refuse('token_malformed');
  const { alg, kid, typ, crit } = header as TokenHeader;
  verification.header = { alg, kid, typ, crit };
  return undefined;
};
