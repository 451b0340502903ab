import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { forwardedChain, HttpProblem, proxyTrustPredicate, sendProblem, type ProxyTrust } from '../../platform/index.js';
import type { EdgeMetrics } from '../edge-metrics.js';
import type { Gate } from '../gate.js';
import { identityHeaders } from '../identity-headers.js';
import { targetQuery } from '../request-target.js';
import type { PreparedRoute, RouteTable } from '../routes/route-table.js';
import { BodyTooLarge, bodyTooLargeProblem, cappedBody, declaresTooLarge } from './body-limit.js';
import { clientResponseHeaders, upstreamRequestHeaders } from './forwarding-headers.js';
import type { UpstreamPools } from './upstream-pools.js';

export interface ReverseProxyOptions {
  gate: Gate;
  routes: RouteTable;
  pools: UpstreamPools;
  metrics: EdgeMetrics;
  /** The same trust the app resolves `request.ip` with (EDGE_TRUST_PROXY). */
  trustProxy: ProxyTrust;
  allowUnderscoreHeaders: boolean;
}

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The path the upstream sees: its own base path, then the canonical path the route was matched on
 * (prefix stripped if asked), never the path as the client spelled it, then the query as sent.
 */
function upstreamPath(route: PreparedRoute, basePath: string, path: string, query: string): string {
  const { definition } = route;
  let rest = path;
  if (definition.stripPrefix && definition.pathPrefix !== '/') {
    rest = path.slice(definition.pathPrefix.length);
    if (!rest.startsWith('/')) rest = `/${rest}`;
  }
  return `${basePath}${rest}${query}`;
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Every path not claimed by another route: decide, then stream the request to the route's
 * upstream through its keep-alive pool and stream the answer back. Bodies are never buffered.
 */
export async function reverseProxyRoutes(app: FastifyInstance, options: ReverseProxyOptions): Promise<void> {
  // The body stays an unread stream and goes to the upstream as it arrives.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const trustedPeer = proxyTrustPredicate(options.trustProxy);

  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const admitted = await options.gate.admit('proxy', request, reply, {
      method: request.method,
      target: request.url,
      host: request.headers.host ?? '',
    });
    if (admitted === undefined) return reply;
    const { route } = admitted;
    if (declaresTooLarge(request, route.maxBodyBytes)) return sendProblem(request, reply, bodyTooLargeProblem(route.maxBodyBytes));
    // The proxy's route table holds only routes with an upstream.
    const upstream = route.upstream!;
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort();
    });
    try {
      const response = await options.pools.get(upstream.origin).request({
        method: request.method as 'GET',
        path: upstreamPath(route, upstream.basePath, admitted.path, targetQuery(request.url)),
        headers: upstreamRequestHeaders({
          clientHeaders: request.headers,
          identityHeaderFilter: options.routes,
          identity: identityHeaders(admitted.token, route.claimHeaders),
          forwardedFor: forwardedChain(request.ips, request.ip),
          protocol: request.protocol,
          trustForwarded: trustedPeer !== false && trustedPeer(request.socket.remoteAddress ?? '', 0),
          allowUnderscoreHeaders: options.allowUnderscoreHeaders,
          requestId: request.id,
        }),
        body: hasBody(request) ? cappedBody(request, route.maxBodyBytes) : null,
        headersTimeout: route.upstreamTimeoutMs,
        bodyTimeout: route.upstreamTimeoutMs,
        signal: abort.signal,
      });
      return reply.code(response.statusCode).headers(clientResponseHeaders(response.headers)).send(response.body);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        return reply.sent ? reply : sendProblem(request, reply, bodyTooLargeProblem(error.maxBytes));
      }
      const code = (error as { code?: string }).code ?? '';
      const problem = TIMEOUT_CODES.has(code)
        ? new HttpProblem(504, 'upstream_timeout', 'The upstream did not answer in time')
        : new HttpProblem(502, 'upstream_unavailable', 'The upstream could not be reached');
      options.metrics.upstreamErrors.inc({ route: route.definition.name, code: problem.code });
      if (reply.sent || abort.signal.aborted) return reply;
      return sendProblem(request, reply, problem, error);
    }
  };
  app.all('/', handler);
  app.all('/*', handler);
}
