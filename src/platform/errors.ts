import type { FastifyError } from 'fastify';
import { HttpProblem } from './problem.js';

/** Fastify's own client errors, by code, as documented problem codes. */
const FASTIFY_CLIENT_ERRORS: Record<string, [number, string, string]> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'Unsupported content type'],
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'body_too_large', 'Request body too large'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_content_length', 'Content-Length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_json', 'Empty JSON body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'invalid_json', 'Malformed JSON body'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'unsupported_media_type', 'Missing content type'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'Invalid content type'],
  FST_ERR_NOT_FOUND: [404, 'not_found', 'Not found'],
  FST_ERR_BAD_URL: [400, 'bad_url', 'Malformed URL'],
  FST_ERR_MAX_PARAM_LENGTH: [414, 'uri_too_long', 'Path parameter too long'],
  FST_ERR_ASYNC_CONSTRAINT: [400, 'bad_request', 'Bad request'],
};

/**
 * Turns anything thrown inside a request into an HttpProblem. Client mistakes keep their 4xx;
 * anything unexpected becomes a 500 `internal_error` whose detail never leaves the server.
 */
export function toHttpProblem(error: unknown): HttpProblem {
  if (error instanceof HttpProblem) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: unknown[] };
  if (fastifyError.validation !== undefined) {
    return new HttpProblem(400, 'invalid_request', 'Request failed validation', fastifyError.message);
  }
  const known = fastifyError.code === undefined ? undefined : FASTIFY_CLIENT_ERRORS[fastifyError.code];
  if (known !== undefined) return new HttpProblem(known[0], known[1], known[2]);
  if (error instanceof SyntaxError && (fastifyError.statusCode ?? 0) === 400) {
    return new HttpProblem(400, 'invalid_json', 'Malformed JSON body');
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return new HttpProblem(status, 'bad_request', 'Bad request', fastifyError.message);
  }
  return new HttpProblem(500, 'internal_error', 'Internal server error');
}
