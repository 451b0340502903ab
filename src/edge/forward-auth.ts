import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ForwardAuthProxy } from '../platform/index.js';
import { FORWARD_AUTH_PATH, ForwardAuthTargetReader, isRefusal, type IdentityHeaderFilter } from './forward-auth-target.js';
import type { Gate } from './gate.js';
import { identityHeaders } from './identity-headers.js';

export { FORWARD_AUTH_PATH } from './forward-auth-target.js';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface ForwardAuthOptions {
  gate: Gate;
  /** The one proxy whose headers describe the original request. */
  proxy: ForwardAuthProxy;
  identityHeaders: IdentityHeaderFilter;
}

/**
 * `/auth/verify`: 200 with identity headers when the request may proceed, the refusal otherwise.
 * Bodies are never read: the decision is made on the headers alone.
 */
export async function forwardAuthRoutes(app: FastifyInstance, options: ForwardAuthOptions): Promise<void> {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));
  const reader = new ForwardAuthTargetReader(options.proxy, options.identityHeaders);
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const target = reader.read(request);
    if (isRefusal(target)) return options.gate.refuseUnread('forward_auth', request, reply, target);
    const admitted = await options.gate.admit('forward_auth', request, reply, target);
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
