import { randomUUID } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { isIP } from 'node:net';
import { proxyTrustPredicate } from './client-address.js';
import { NO_PROXY_TRUST, type ProxyTrust } from './config/proxy-trust.js';
import { answerClientError, requestTimeoutOptions, type RequestTimeouts } from './client-limits.js';
import type { Logger } from './logger.js';
import type { ServiceMetrics } from './metrics.js';
import { toHttpProblem } from './errors.js';
import { HttpProblem, PROBLEM_CONTENT_TYPE } from './problem.js';
import type { Readiness } from './readiness.js';
import { requestLoggerFactory } from './request-logger.js';

export interface HttpAppOptions {
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
  bodyLimitBytes?: number;
  /** Which peers may report the client's address in X-Forwarded-For (`request.ip`); none by default. */
  trustProxy?: ProxyTrust;
  https?: import('node:https').ServerOptions | null;
  /** Bounds on receiving a request (slow headers, slow bodies); Node's defaults when absent. */
  requestTimeouts?: RequestTimeouts;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * The HTTP bootstrap every service shares: request ids, problem+json errors, ops routes
 * (`/healthz`, `/readyz`, `/metrics`) and per-route latency metrics.
 */
export function createHttpApp(options: HttpAppOptions): FastifyInstance {
  const trustProxy = proxyTrustPredicate(options.trustProxy ?? NO_PROXY_TRUST);
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: options.bodyLimitBytes ?? 65_536,
    trustProxy,
    // Drain in-flight requests on close, but do not wait on idle keep-alive sockets.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
    // Our onResponse hook logs requests, with the path only (query strings can carry tokens).
    logController: new LogController({ disableRequestLogging: true }),
    // request.log is built only when the request actually logs (see request-logger.ts).
    childLoggerFactory: requestLoggerFactory,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Unknown properties are refused, not silently dropped; query strings still coerce to numbers.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    // Path parameters up to 256 characters (client ids may be 128); the default 100 answered 414.
    routerOptions: { maxParamLength: 256 },
    // Errors Fastify raises before routing (a malformed URL, an over-long parameter) are problems too.
    frameworkErrors: (error, request, reply) => sendProblem(request, reply, toHttpProblem(error), error),
    // ...and so are those Node's HTTP parser raises before there is a request (408, 431, 400).
    clientErrorHandler: answerClientError,
    ...requestTimeoutOptions(options.requestTimeouts, options.https),
  }) as unknown as FastifyInstance;

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  if (trustProxy !== false) {
    // A trusted proxy reported something that is not an address: there is no client address to
    // limit, log or audit by, and keying buckets by free text would let a sender rotate it.
    app.addHook('onRequest', async (request) => {
      if (isIP(request.ip) === 0) {
        throw new HttpProblem(400, 'invalid_forwarded_for', 'Unusable X-Forwarded-For', 'a trusted proxy reported a client address that is not an IP address');
      }
    });
  }
  // A request in flight when close() starts ends its connection with its response; otherwise the
  // keep-alive socket would hold close() open until the keep-alive timeout (72 s), far past the
  // shutdown grace period.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    options.metrics.httpDuration.observe(
      { method: request.method, route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    // 503 is a documented answer (not ready, a dependency down) whose cause is logged once where it is watched.
    if (reply.statusCode >= 500 && reply.statusCode !== 503) {
      request.log.warn({ req: request, res: reply, ms: reply.elapsedTime }, 'request failed');
    } else {
      request.log.debug({ req: request, res: reply, ms: reply.elapsedTime }, 'request');
    }
  });

  app.setErrorHandler((error, request, reply) => sendProblem(request, reply, toHttpProblem(error), error));
  app.setNotFoundHandler((request, reply) =>
    sendProblem(request, reply, toHttpProblem({ code: 'FST_ERR_NOT_FOUND' })),
  );

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const report = await options.readiness.report();
    return reply.code(report.status === 'not_ready' ? 503 : 200).send(report);
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', options.metrics.registry.contentType);
    return options.metrics.registry.metrics();
  });
  return app;
}

/**
 * Sends a problem+json response; a 5xx is logged with its cause, which never reaches the caller.
 * A 503 is not: it answers for a dependency that is down, and that outage is logged once where the
 * dependency is watched (`database: unavailable`, `vault: unreachable`), not once per request.
 */
export function sendProblem(
  request: FastifyRequest,
  reply: FastifyReply,
  problem: HttpProblem,
  cause?: unknown,
): FastifyReply {
  if (problem.status >= 500 && problem.status !== 503) request.log.error({ err: cause ?? problem, code: problem.code }, 'request error');
  return reply
    .code(problem.status)
    .headers(problem.headers)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .header('cache-control', 'no-store')
    .send(problem.body(request.url.split('?')[0]));
}
