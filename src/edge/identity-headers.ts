import { formatScope } from '../tokens/index.js';
import type { VerifiedToken } from './verification.js';

/** Every identity header the edge sets starts with this; a client's own copies are always stripped. */
export const IDENTITY_HEADER_PREFIX = 'x-auth-';

export const SUBJECT_HEADER = 'x-auth-subject';
export const CLIENT_ID_HEADER = 'x-auth-client-id';
export const SCOPES_HEADER = 'x-auth-scopes';

/** A claim mapped to a header, prepared once per route. */
export interface ClaimHeader {
  header: string;
  claim: string;
}

/** Visible ASCII and spaces pass as they are; anything else is percent-encoded so no value can break a header. */
function headerValue(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'string' ? value : Array.isArray(value) ? value.join(' ') : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /^[\x20-\x7e]*$/.test(text) ? text : encodeURIComponent(text);
}

/**
 * The identity the upstream sees. Every header is always present (empty for an anonymous request
 * or a missing claim), so a proxy that copies them in forward-auth mode overwrites the client's.
 */
export function identityHeaders(token: VerifiedToken | undefined, claimHeaders: readonly ClaimHeader[]): Record<string, string> {
  const claims = token?.claims;
  const headers: Record<string, string> = {
    [SUBJECT_HEADER]: headerValue(claims?.sub),
    [CLIENT_ID_HEADER]: headerValue(claims?.client_id),
    [SCOPES_HEADER]: token === undefined ? '' : formatScope(token.scopes),
  };
  for (const { header, claim } of claimHeaders) {
    headers[header] = headerValue(claims === undefined ? undefined : (claims as unknown as Record<string, unknown>)[claim]);
  }
  return headers;
}
