import { ACCESS_TOKEN_TYPE } from '../../tokens/index.js';
import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/** RFC 9068 §4: `typ` is `at+jwt`; the media type may be written in full and in any case. */
const ACCEPTED = new Set([ACCESS_TOKEN_TYPE, `application/${ACCESS_TOKEN_TYPE}`]);

export const tokenType: Check = (verification) => {
  const { typ } = verification.header!;
  return typeof typ === 'string' && ACCEPTED.has(typ.toLowerCase()) ? undefined : refuse('token_type_invalid');
};
