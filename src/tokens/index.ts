export { ACCESS_TOKEN_TYPE, parseScope, formatScope, audienceList, SCOPE_TOKEN, type AccessTokenClaims } from './claims.js';
export {
  REVOCATION_CHANNEL, KEY_CHANNEL, clientRevocationValue, parseClientRevocation,
  type ClientRevocation, type RevocationEvent, type RevocationKind, type KeyEvent,
} from './revocation-events.js';
export { ASYMMETRIC_ALGORITHMS } from './algorithms.js';
export { jwkThumbprint } from './thumbprint.js';
