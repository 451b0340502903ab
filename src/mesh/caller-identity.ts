import { TLSSocket } from 'node:tls';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { MeshMode } from '../platform/index.js';
import { parseLinkerdIdentity, parseServiceIdentity, type ServiceIdentity } from './identity.js';
import { identityOfCertificate } from './peer-certificate.js';

/** Set by the Linkerd proxy on inbound requests from meshed clients, after it strips any the client sent. */
export const LINKERD_CLIENT_ID_HEADER = 'l5d-client-id';

declare module 'fastify' {
  interface FastifyRequest {
    /** The calling workload, or null when the caller has none (or the mode provides none). */
    callerIdentity: ServiceIdentity | null;
  }
}

/** One TLS connection has one peer certificate: parse it once, not per request. */
const peerIdentities = new WeakMap<TLSSocket, ServiceIdentity | null>();

export function identityOfTlsPeer(socket: unknown): ServiceIdentity | null {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return null;
  let identity = peerIdentities.get(socket);
  if (identity === undefined) {
    const certificate = socket.getPeerX509Certificate();
    identity = (certificate && identityOfCertificate(certificate)) ?? null;
    peerIdentities.set(socket, identity);
  }
  return identity;
}

/**
 * Decorates every request of `app` with `callerIdentity`:
 * - native: the SPIFFE ID of the verified client certificate;
 * - linkerd: the `l5d-client-id` header, which only the mesh proxy in front of us can set;
 * - none: no identity.
 * Outside Linkerd mode the header is removed before any handler sees it, so nothing downstream
 * (a proxied upstream, a log line) can mistake a caller's claim for the mesh's word.
 */
export function installCallerIdentity(app: FastifyInstance, mode: MeshMode): void {
  app.decorateRequest('callerIdentity', null);
  app.addHook('onRequest', async (request) => {
    if (mode === 'linkerd') {
      request.callerIdentity = parseLinkerdIdentity(request.headers[LINKERD_CLIENT_ID_HEADER]) ?? null;
      return;
    }
    delete request.headers[LINKERD_CLIENT_ID_HEADER];
    if (mode === 'native') request.callerIdentity = identityOfTlsPeer(request.raw.socket);
  });
}

/**
 * Whether the caller is the workload a client was bound to (token-service then records the binding
 * as `cnf.spiffe_id`; the edge compares a token's with its caller). The binding may be stored in
 * either identity form; both sides go through the strict parser, so only the same identity matches.
 */
export function callerMatchesBinding(request: FastifyRequest, boundIdentity: string): boolean {
  const bound = parseServiceIdentity(boundIdentity);
  return bound !== undefined && request.callerIdentity !== null && bound.spiffeId === request.callerIdentity.spiffeId;
}
