import { STATUS_CODES } from 'node:http';
import type { ServerOptions as HttpsServerOptions } from 'node:https';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';

/** How long a client may take to send a request. */
export interface RequestTimeouts {
  /** The request line and headers (slowloris). */
  headersMs: number;
  /** The whole request, body included. */
  requestMs: number;
}

/**
 * The Fastify server options for `timeouts`. Node checks them only every
 * `connectionsCheckingInterval` (30 s by default), so a 10 s limit could hold a connection for
 * 40 s: the check runs every second instead (O(connections), cheap). The https server takes its
 * HTTP options from the TLS options object, so they go there too.
 */
export function requestTimeoutOptions(timeouts: RequestTimeouts | undefined, https: HttpsServerOptions | null | undefined) {
  const server = timeouts === undefined
    ? {}
    : { headersTimeout: timeouts.headersMs, requestTimeout: timeouts.requestMs, connectionsCheckingInterval: Math.min(1000, timeouts.headersMs) };
  return {
    ...(timeouts === undefined ? {} : { requestTimeout: timeouts.requestMs, http: server }),
    ...(https ? { https: { ...https, ...server } } : {}),
  };
}

function clientProblem(code: string | undefined): HttpProblem {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return new HttpProblem(408, 'request_timeout', 'The request was not received in time');
  if (code === 'HPE_HEADER_OVERFLOW') return new HttpProblem(431, 'headers_too_large', 'Request headers too large');
  return new HttpProblem(400, 'bad_request', 'Bad request');
}

/**
 * Fastify's `clientErrorHandler`: what Node refuses before there is a request object (a request
 * not received in time, oversized headers, malformed HTTP) is answered as problem+json with a
 * documented code, written on the socket, which is then closed.
 */
export function answerClientError(this: FastifyInstance, error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const problem = clientProblem(error.code);
  this.log.debug({ code: problem.code }, 'client error');
  // Node's own handler checks this too: once a response has begun, another status line would corrupt it.
  const started = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (socket.writable && !started) {
    const body = JSON.stringify(problem.body());
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status]}\r\n` +
        `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}
