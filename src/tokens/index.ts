export { ACCESS_TOKEN_TYPE, parseScope, formatScope, audienceList, SCOPE_TOKEN, type AccessTokenClaims } from './claims.js';
export { REVOCATION_CHANNEL, KEY_CHANNEL, type RevocationEvent, type KeyEvent } from './revocation-events.js';
export { ASYMMETRIC_ALGORITHMS, keyGenerationOptions } from './algorithms.js';
export { calculateJwkThumbprint as jwkThumbprint } from 'jose';
