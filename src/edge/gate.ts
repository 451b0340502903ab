import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../platform/index.js';
import { refuse, refusalResponse, type Refusal } from './errors.js';
import type { EdgeMetrics, EdgeMode } from './edge-metrics.js';
import { requestPath } from './request-target.js';
import type { PreparedRoute, RouteTable } from './routes/route-table.js';
import { runChecks, type RequestFacts, type Verification, type VerifiedToken } from './verification.js';

/** The request being decided, as each mode reads it (forward-auth from the proxy's headers). */
export interface DecisionTarget {
  method: string;
  /** The raw request target (path and query). */
  target: string;
  host: string;
}

export interface Admitted {
  route: PreparedRoute;
  /** Undefined for an anonymous request on an anonymous route. */
  token: VerifiedToken | undefined;
}

/**
 * Decides one request for either mode: route match, then the route's prepared checks. A refusal is
 * answered here, so both modes refuse identically, and counted and logged under its code.
 */
export class Gate {
  constructor(
    private readonly routes: RouteTable,
    private readonly metrics: EdgeMetrics,
    private readonly logger: Logger,
    private readonly now: () => number,
  ) {}

  async admit(mode: EdgeMode, request: FastifyRequest, reply: FastifyReply, target: DecisionTarget): Promise<Admitted | undefined> {
    const started = performance.now();
    const path = requestPath(target.target);
    if (path === undefined) return this.refuse(mode, request, reply, refuse('request_invalid'), undefined, target.method, started);
    const route = this.routes.match(mode, target.host, path, target.method);
    if (route === undefined) {
      const code = mode === 'proxy' ? 'route_not_found' : 'route_not_configured';
      return this.refuse(mode, request, reply, refuse(code), undefined, target.method, started, path);
    }
    const facts: RequestFacts = {
      method: target.method,
      path,
      host: target.host,
      ip: request.ip,
      authorization: request.headers.authorization,
      dpop: single(request.headers.dpop),
    };
    const verification: Verification = { request: facts, nowSeconds: this.now() / 1000 };
    const refusal = await runChecks(route.checks, verification);
    if (refusal !== undefined) return this.refuse(mode, request, reply, refusal, route, target.method, started, path);
    this.metrics.decisions.inc({ mode, result: 'allow', reason: 'ok' });
    this.metrics.decisionDuration.observe({ mode }, (performance.now() - started) / 1000);
    return { route, token: verification.token };
  }

  private refuse(
    mode: EdgeMode,
    request: FastifyRequest,
    reply: FastifyReply,
    refusal: Refusal,
    route: PreparedRoute | undefined,
    method: string,
    started: number,
    path?: string,
  ): undefined {
    this.metrics.decisions.inc({ mode, result: 'deny', reason: refusal.code });
    this.metrics.decisionDuration.observe({ mode }, (performance.now() - started) / 1000);
    const response = refusalResponse(refusal, route?.definition.policy.scopes ?? []);
    this.logger.info(
      { reqId: request.id, mode, code: refusal.code, status: response.status, route: route?.definition.name, method, path, remote: request.ip },
      'edge: request refused',
    );
    void reply.code(response.status).headers(response.headers).type('application/json').send(response.body);
    return undefined;
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
