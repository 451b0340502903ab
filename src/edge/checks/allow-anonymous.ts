import { ACCEPT, type Check } from '../verification.js';

/** On a route that allows anonymous access, a request with no credential passes without identity. */
export const allowAnonymous: Check = (verification) =>
  verification.request.authorization === undefined && verification.request.dpop === undefined ? ACCEPT : undefined;
