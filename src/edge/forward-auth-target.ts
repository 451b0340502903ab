import type { FastifyRequest } from 'fastify';
import type { ForwardAuthProxy } from '../platform/index.js';
import { refuse, type Refusal } from './errors.js';
import type { DecisionTarget } from './gate.js';

export const FORWARD_AUTH_PATH = '/auth/verify';

type Part = keyof DecisionTarget;

/**
 * The header each proxy puts each part of the original request in. A part with no header comes
 * from the call itself: Envoy's `ext_authz` keeps the original method and appends the original
 * path to `path_prefix`.
 */
const PROXY_HEADERS: Record<ForwardAuthProxy, Partial<Record<Part, string>>> = {
  nginx: { method: 'x-original-method', target: 'x-original-uri', host: 'x-original-host' },
  traefik: { method: 'x-forwarded-method', target: 'x-forwarded-uri', host: 'x-forwarded-host' },
  caddy: { method: 'x-forwarded-method', target: 'x-forwarded-uri', host: 'x-forwarded-host' },
  envoy: { host: 'host' },
};

/**
 * Headers that choose what is judged under some proxy. A proxy passes on what the client sent
 * unless it sets the header itself (Traefik without `authRequestHeaders` copies everything), so
 * any of these the trusted proxy does not set came from the client. `X-Forwarded-Host` is not in
 * the list: load balancers set it outside forward-auth, and only a proxy that sets it reads it.
 */
const STEERING_HEADERS = ['x-original-method', 'x-original-uri', 'x-original-host', 'x-forwarded-method', 'x-forwarded-uri'];

export interface IdentityHeaderFilter {
  isIdentityHeader(lowerCaseName: string): boolean;
}

/**
 * Reads which request forward-auth judges, from the headers of the one trusted proxy. Refused
 * rather than guessed: another proxy's steering headers or a repeated one
 * (`forward_auth_headers_conflict`), a part the proxy did not send (`forward_auth_headers_missing`,
 * never a default a client could choose by leaving the header out behind a proxy that does not set
 * it), and an identity header spelled with underscores (`identity_header_spoofed`), which the
 * proxy copying the edge's answer would not overwrite and a CGI-style upstream would read as the
 * real one.
 */
export class ForwardAuthTargetReader {
  /** Lower-case header name → the part it carries, or undefined for another proxy's header. */
  private readonly roles = new Map<string, Part | undefined>();
  private readonly headers: Partial<Record<Part, string>>;

  constructor(proxy: ForwardAuthProxy, private readonly identityHeaders: IdentityHeaderFilter) {
    this.headers = PROXY_HEADERS[proxy];
    for (const name of STEERING_HEADERS) this.roles.set(name, undefined);
    for (const [part, name] of Object.entries(this.headers) as Array<[Part, string]>) this.roles.set(name, part);
  }

  read(request: FastifyRequest): DecisionTarget | Refusal {
    const found: Partial<Record<Part, string>> = {};
    // rawHeaders, not headers: Node joins a repeated header into one value, hiding the repeat.
    const raw = request.raw.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (this.roles.has(name)) {
        const part = this.roles.get(name);
        if (part === undefined || found[part] !== undefined) return refuse('forward_auth_headers_conflict');
        found[part] = raw[i + 1]!;
      } else if (name.includes('_') && this.identityHeaders.isIdentityHeader(name)) {
        return refuse('identity_header_spoofed');
      }
    }
    const method = this.headers.method === undefined ? request.method : found.method;
    const target = this.headers.target === undefined ? pathAfterPrefix(request.url) : found.target;
    const host = found.host;
    if (!method || !target || !host) return refuse('forward_auth_headers_missing');
    // Neither a method nor a host holds a comma: this is two values a proxy merged into one line.
    if (method.includes(',') || host.includes(',')) return refuse('forward_auth_headers_conflict');
    return { method: method.toUpperCase(), target, host };
  }
}

/** Envoy: `/auth/verify/orders/7?x=1` asks about `/orders/7?x=1`. */
function pathAfterPrefix(url: string): string {
  const rest = url.slice(FORWARD_AUTH_PATH.length);
  return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
}

export function isRefusal(value: DecisionTarget | Refusal): value is Refusal {
  return 'code' in value;
}
