import type { FastifyRequest } from 'fastify';
import { HttpProblem } from '../platform/index.js';

/** NUL, or a UTF-16 surrogate without its pair: PostgreSQL text and jsonb cannot hold either. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function holdsUnstorable(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return UNSTORABLE.test(value);
  if (value === null || typeof value !== 'object' || depth > 32) return false;
  if (Array.isArray(value)) return value.some((v) => holdsUnstorable(v, depth + 1));
  return Object.entries(value).some(([k, v]) => UNSTORABLE.test(k) || holdsUnstorable(v, depth + 1));
}

/**
 * Refuses input no database column could store, before any handler passes it to a query or an
 * audit entry (where it would fail as a 500). Thrown as a platform problem, not an OAuth error,
 * because the hook also runs where only the platform's error handler sits (the not-found route,
 * discovery): `invalid_request` as an RFC 6749 error on the OAuth endpoints, problem+json elsewhere.
 */
export async function rejectUnstorableText(request: FastifyRequest): Promise<void> {
  if (holdsUnstorable(request.params) || holdsUnstorable(request.query) || holdsUnstorable(request.body)) {
    throw new HttpProblem(400, 'invalid_request', 'request contains a NUL character or an unpaired surrogate');
  }
}
