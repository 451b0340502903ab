/**
 * Every reason the edge refuses a request, as a stable code. The same code is the `code`
 * member of the response body, the `reason` label of `edge_decisions_total` and the `code`
 * field of the log line; docs/edge.md lists them all.
 */
interface RefusalSpec {
  status: 400 | 401 | 403 | 404 | 429 | 503;
  /** The RFC 6750 §3.1 error, when the refusal is about the credential. */
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | undefined;
  description: string;
}

export const REFUSALS = {
  credentials_missing: { status: 401, error: undefined, description: 'An access token is required' },
  credentials_scheme_unsupported: { status: 401, error: undefined, description: 'Only the Bearer scheme is accepted' },
  credentials_malformed: { status: 400, error: 'invalid_request', description: 'The Authorization header is malformed' },
  dpop_unsupported: { status: 401, error: 'invalid_token', description: 'DPoP-bound access is not enabled on this edge' },
  token_too_large: { status: 401, error: 'invalid_token', description: 'The access token exceeds the size limit' },
  token_malformed: { status: 401, error: 'invalid_token', description: 'The access token is not a well-formed JWS' },
  token_type_invalid: { status: 401, error: 'invalid_token', description: 'The access token typ must be at+jwt' },
  token_algorithm_not_allowed: { status: 401, error: 'invalid_token', description: 'The token algorithm is not accepted' },
  token_kid_missing: { status: 401, error: 'invalid_token', description: 'The access token names no key' },
  token_key_unknown: { status: 401, error: 'invalid_token', description: 'The access token names an unknown key' },
  token_algorithm_mismatch: { status: 401, error: 'invalid_token', description: 'The token algorithm does not match its key' },
  token_signature_invalid: { status: 401, error: 'invalid_token', description: 'The access token signature is invalid' },
  token_claims_invalid: { status: 401, error: 'invalid_token', description: 'The access token lacks required claims' },
  token_issuer_invalid: { status: 401, error: 'invalid_token', description: 'The access token issuer is not trusted' },
  token_expired: { status: 401, error: 'invalid_token', description: 'The access token expired' },
  token_not_yet_valid: { status: 401, error: 'invalid_token', description: 'The access token is not valid yet' },
  token_issued_in_future: { status: 401, error: 'invalid_token', description: 'The access token was issued in the future' },
  token_revoked: { status: 401, error: 'invalid_token', description: 'The access token was revoked' },
  token_revoked_by_epoch: { status: 401, error: 'invalid_token', description: 'The access token was issued before a revoke-all' },
  token_revoked_by_client: { status: 401, error: 'invalid_token', description: 'The access token was issued before its client was disabled, deleted or revoked' },
  token_key_retired: { status: 401, error: 'invalid_token', description: 'The access token was signed by a retired key' },
  token_audience_invalid: { status: 401, error: 'invalid_token', description: 'The access token is not meant for this API' },
  token_requires_dpop: { status: 401, error: 'invalid_token', description: 'A DPoP-bound token cannot be used as a bearer token' },
  token_identity_mismatch: { status: 401, error: 'invalid_token', description: 'The access token is bound to another workload identity' },
  insufficient_scope: { status: 403, error: 'insufficient_scope', description: 'The access token lacks a required scope' },
  route_not_configured: { status: 403, error: undefined, description: 'No route is configured for this request' },
  route_not_found: { status: 404, error: undefined, description: 'No route is configured for this request' },
  request_invalid: { status: 400, error: 'invalid_request', description: 'The request target is malformed' },
  // Not credential problems, so no challenge: the request was described or spelled in a way the edge will not guess at.
  forward_auth_headers_conflict: { status: 400, error: undefined, description: 'The original request is described by another proxy\'s headers, or twice' },
  forward_auth_headers_missing: { status: 400, error: undefined, description: 'The trusted proxy did not describe the original request' },
  identity_header_spoofed: { status: 400, error: undefined, description: 'An identity header is spelled with underscores' },
  key_set_unavailable: { status: 503, error: undefined, description: 'The signing keys cannot be confirmed right now' },
  rate_limited: { status: 429, error: undefined, description: 'Too many requests' },
} as const satisfies Record<string, RefusalSpec>;

export type RefusalCode = keyof typeof REFUSALS;

/** A refusal: its code, plus headers some refusals carry (Retry-After, RateLimit-*). */
export interface Refusal {
  readonly code: RefusalCode;
  readonly headers?: Readonly<Record<string, string>>;
}

const SHARED = new Map<RefusalCode, Refusal>(
  (Object.keys(REFUSALS) as RefusalCode[]).map((code) => [code, Object.freeze({ code })]),
);

/** The shared, header-less refusal for `code`; the hot path allocates nothing to refuse. */
export function refuse(code: RefusalCode): Refusal {
  return SHARED.get(code)!;
}

/** Seconds a 503 asks the caller to wait: the JWKS kid-miss interval is the natural unit. */
const UNAVAILABLE_RETRY_AFTER = '5';

export interface RefusalResponse {
  status: number;
  headers: Record<string, string>;
  body: { error: string; error_description: string; code: RefusalCode };
}

/**
 * The response for a refusal: RFC 6750 `WWW-Authenticate` for credential errors (with `scope=`
 * for insufficient scope), `Retry-After` for 503, the rate-limit headers for 429. The body
 * names the same code as the metric label and the log line; `X-Auth-Error` repeats it for
 * proxies that only see headers (nginx `auth_request_set`).
 */
export function refusalResponse(refusal: Refusal, requiredScopes: readonly string[]): RefusalResponse {
  const spec: RefusalSpec = REFUSALS[refusal.code];
  const headers: Record<string, string> = {
    'cache-control': 'no-store',
    'x-auth-error': refusal.code,
    ...refusal.headers,
  };
  // A challenge for every credential problem; a missing or unsupported credential gets a bare one.
  if (spec.status === 401 || spec.error !== undefined) {
    const params = ['realm="auth-edge"'];
    if (spec.error !== undefined) {
      params.push(`error="${spec.error}"`, `error_description="${spec.description}"`);
    }
    if (spec.error === 'insufficient_scope') params.push(`scope="${requiredScopes.join(' ')}"`);
    headers['www-authenticate'] = `Bearer ${params.join(', ')}`;
  }
  if (spec.status === 503) headers['retry-after'] ??= UNAVAILABLE_RETRY_AFTER;
  return {
    status: spec.status,
    headers,
    body: { error: spec.error ?? refusal.code, error_description: spec.description, code: refusal.code },
  };
}
