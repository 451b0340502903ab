import { isIP } from 'node:net';
import type { FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { HttpProblem, type Counter, type MeshMode } from '../platform/index.js';
import type { IdentityAllowlist } from './allowlist.js';

export const IDENTITY_REQUIRED = 'identity_required';
export const IDENTITY_NOT_ALLOWED = 'identity_not_allowed';

export interface IdentityGuardOptions {
  mode: MeshMode;
  refusals: Counter<'code'>;
}

/**
 * Builds `preHandler`s that admit only callers on an endpoint's allowlist:
 * no identity → 401 `identity_required`; an identity not on the list → 403 `identity_not_allowed`.
 *
 * With MESH=none there are no identities at all; internal endpoints then answer loopback callers
 * only (the embedded single-machine setup), and refuse everyone else with the same 401.
 */
export function identityGuard(options: IdentityGuardOptions): (allowlist: IdentityAllowlist) => preHandlerAsyncHookHandler {
  const refuse = (request: FastifyRequest, problem: HttpProblem): never => {
    options.refusals.inc({ code: problem.code });
    request.log.warn({ code: problem.code, caller: request.callerIdentity?.spiffeId, route: request.routeOptions.url }, 'mesh: caller refused');
    throw problem;
  };
  return (allowlist) => async (request) => {
    const caller = request.callerIdentity;
    if (caller === null) {
      if (options.mode === 'none' && isLoopback(request.raw.socket.remoteAddress)) return;
      refuse(request, new HttpProblem(401, IDENTITY_REQUIRED, 'Caller identity required', identityHint(options.mode)));
    } else if (!allowlist.allows(caller)) {
      refuse(request, new HttpProblem(403, IDENTITY_NOT_ALLOWED, 'Caller identity not allowed', `${caller.spiffeId} may not call this endpoint`));
    }
  };
}

function identityHint(mode: MeshMode): string {
  switch (mode) {
    case 'native':
      return 'present a client certificate with a SPIFFE ID issued by the mesh CA';
    case 'linkerd':
      return 'call through the Linkerd mesh from a meshed workload';
    case 'none':
      return 'without a mesh, internal endpoints answer loopback callers only';
  }
}

function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  if (address === '::1') return true;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return isIP(v4) === 4 && v4.startsWith('127.');
}
