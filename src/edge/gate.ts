import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../platform/index.js';
import { refuse, refusalResponse, type Refusal } from './errors.js';
import type { EdgeMetrics } from './edge-metrics.js';
import { canonicalPath } from './request-target.js';
import type { PreparedRoute, RouteTable } from './routes/route-table.js';
import { runChecks, type EdgeMode, type RequestFacts, type Verification, type VerifiedToken } from './verification.js';

/** The request being decided, as each mode reads it (forward-auth from the proxy's headers). */
export interface DecisionTarget {
  method: string;
  /** The raw request target (path and query). */
  target: string;
  host: string;
}

export interface Admitted {
  route: PreparedRoute;
  /** The canonical path the route was matched on: in proxy mode, the path the upstream receives. */
  path: string;
  /** Undefined for an anonymous request on an anonymous route. */
  token: VerifiedToken | undefined;
}

/** One decision in progress: what a refusal needs to be answered, counted and logged. */
interface Decision {
  mode: EdgeMode;
  request: FastifyRequest;
  reply: FastifyReply;
  method: string;
  path: string | undefined;
  route: PreparedRoute | undefined;
  started: number;
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
    const decision: Decision = { mode, request, reply, method: target.method, path: undefined, route: undefined, started: performance.now() };
    decision.path = canonicalPath(target.target);
    if (decision.path === undefined) return this.refuse(decision, refuse('request_invalid'));
    decision.route = this.routes.match(mode, target.host, decision.path, target.method);
    if (decision.route === undefined) return this.refuse(decision, refuse(mode === 'proxy' ? 'route_not_found' : 'route_not_configured'));
    const facts: RequestFacts = {
      method: target.method,
      path: decision.path,
      host: target.host,
      ip: request.ip,
      authorization: request.headers.authorization,
      dpop: single(request.headers.dpop),
      callerSpiffeId: request.callerIdentity?.spiffeId,
    };
    const verification: Verification = { request: facts, nowSeconds: this.now() / 1000 };
    const refusal = await runChecks(decision.route.checks, verification);
    if (refusal !== undefined) return this.refuse(decision, refusal);
    this.record(decision, 'allow', 'ok');
    return { route: decision.route, path: decision.path, token: verification.token };
  }

  /** Refuses a request whose target could not be read (forward-auth headers), before any route is matched. */
  refuseUnread(mode: EdgeMode, request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
    this.refuse({ mode, request, reply, method: request.method, path: undefined, route: undefined, started: performance.now() }, refusal);
    return reply;
  }

  private refuse(decision: Decision, refusal: Refusal): undefined {
    const { request, reply, route } = decision;
    this.record(decision, 'deny', refusal.code);
    const response = refusalResponse(refusal, route?.definition.policy.scopes ?? []);
    this.logger.info(
      {
        reqId: request.id,
        mode: decision.mode,
        code: refusal.code,
        status: response.status,
        route: route?.definition.name,
        method: decision.method,
        path: decision.path,
        remote: request.ip,
      },
      'edge: request refused',
    );
    void reply.code(response.status).headers(response.headers).type('application/json').send(response.body);
    return undefined;
  }

  private record(decision: Decision, result: 'allow' | 'deny', reason: string): void {
    this.metrics.decisions.inc({ mode: decision.mode, result, reason });
    this.metrics.decisionDuration.observe({ mode: decision.mode }, (performance.now() - decision.started) / 1000);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
