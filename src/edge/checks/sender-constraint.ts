import { refuse } from '../errors.js';
import type { Check } from '../verification.js';

/**
 * RFC 9449 §7.1: a token bound to a DPoP key (`cnf.jkt`) must not be accepted as a plain bearer
 * token. When DPoP lands, its proof check replaces this refusal for the DPoP scheme.
 */
export const senderConstraint: Check = (verification) =>
  verification.token!.claims.cnf?.jkt !== undefined ? refuse('token_requires_dpop') : undefined;
