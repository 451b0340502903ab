import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { DecisionTarget, Gate } from './gate.js';
import { identityHeaders } from './identity-headers.js';

export const FORWARD_AUTH_PATH = '/auth/verify';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Which request the proxy is asking about:
 * - nginx `auth_request`: `X-Original-URI`, `X-Original-Method` (and `X-Original-Host` if set);
 * - Traefik `forwardAuth`: `X-Forwarded-Uri`, `X-Forwarded-Method`, `X-Forwarded-Host`;
 * - Envoy `ext_authz` over HTTP: the original path appended to `/auth/verify`, with the original
 *   method and Host.
 */
export function decisionTarget(request: FastifyRequest): DecisionTarget {
  const nginxUri = header(request, 'x-original-uri');
  const traefikUri = header(request, 'x-forwarded-uri');
  const host = header(request, 'x-original-host') ?? header(request, 'x-forwarded-host') ?? header(request, 'host') ?? '';
  if (nginxUri !== undefined) {
    return { method: (header(request, 'x-original-method') ?? 'GET').toUpperCase(), target: nginxUri, host };
  }
  if (traefikUri !== undefined) {
    return { method: (header(request, 'x-forwarded-method') ?? 'GET').toUpperCase(), target: traefikUri, host };
  }
  const rest = request.url.slice(FORWARD_AUTH_PATH.length);
  return { method: request.method, target: rest === '' || rest.startsWith('?') ? `/${rest}` : rest, host };
}

/**
 * `/auth/verify`: 200 with identity headers when the request may proceed, the refusal otherwise.
 * Bodies are never read: the decision is made on the headers alone.
 */
export async function forwardAuthRoutes(app: FastifyInstance, options: { gate: Gate }): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const admitted = await options.gate.admit('forward_auth', request, reply, decisionTarget(request));
    if (admitted === undefined) return reply;
    return reply
      .code(200)
      .headers(identityHeaders(admitted.token, admitted.route.claimHeaders))
      .header('cache-control', 'no-store')
      .send();
  };
  app.route({ method: METHODS, url: FORWARD_AUTH_PATH, handler });
  app.route({ method: METHODS, url: `${FORWARD_AUTH_PATH}/*`, handler });
}
