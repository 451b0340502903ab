import type { Check, EdgeMode } from '../verification.js';
import { IDENTITY_HEADER_PREFIX, type ClaimHeader } from '../identity-headers.js';
import type { RouteDefinition } from './route-definition.js';

/** A route ready for the hot path: its checks built, its claim headers listed. */
export interface PreparedRoute {
  definition: RouteDefinition;
  checks: readonly Check[];
  claimHeaders: readonly ClaimHeader[];
  methods: ReadonlySet<string> | undefined;
  /** Parsed once: the pool's origin and the path the upstream's URL puts before every request. */
  upstream: { origin: string; basePath: string } | undefined;
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
  /** The prefix as compared: lower-cased for a case-insensitive route. */
  matchPrefix: string;
}

/** What a route gets when it does not say: EDGE_UPSTREAM_TIMEOUT and EDGE_MAX_BODY_SIZE. */
export interface RouteDefaults {
  upstreamTimeoutMs: number;
  maxBodyBytes: number;
}

function parseUpstream(upstream: string | undefined): PreparedRoute['upstream'] {
  if (upstream === undefined) return undefined;
  const url = new URL(upstream);
  return { origin: url.origin, basePath: url.pathname.replace(/\/$/, '') };
}

/**
 * Matches requests to routes. Built once: routes are ordered most specific first (a host beats no
 * host, a longer prefix beats a shorter one), so matching is one scan of a short array. Forward-auth
 * sees every route; the proxy only those with an upstream.
 */
export class RouteTable {
  private readonly byMode: Record<EdgeMode, readonly PreparedRoute[]>;
  /** Headers a client may never send upstream: the x-auth-* family and every mapped claim header. */
  readonly identityHeaderNames: ReadonlySet<string>;

  constructor(definitions: readonly RouteDefinition[], checksFor: (route: RouteDefinition) => Check[], defaults: RouteDefaults) {
    const routes: PreparedRoute[] = definitions
      .map((definition) => ({
        definition,
        checks: checksFor(definition),
        claimHeaders: Object.entries(definition.claimHeaders).map(([header, claim]) => ({ header: header.toLowerCase(), claim })),
        methods: definition.methods === undefined ? undefined : new Set(definition.methods),
        upstream: parseUpstream(definition.upstream),
        upstreamTimeoutMs: definition.timeoutMs ?? defaults.upstreamTimeoutMs,
        maxBodyBytes: definition.maxBodyBytes ?? defaults.maxBodyBytes,
        matchPrefix: definition.caseInsensitive ? definition.pathPrefix.toLowerCase() : definition.pathPrefix,
      }))
      .sort((a, b) => specificity(b.definition) - specificity(a.definition));
    this.byMode = { forward_auth: routes, proxy: routes.filter((route) => route.upstream !== undefined) };
    this.identityHeaderNames = new Set(routes.flatMap((r) => r.claimHeaders.map((c) => c.header)));
  }

  /** `path` is canonical (see request-target.ts). */
  match(mode: EdgeMode, host: string, path: string, method: string): PreparedRoute | undefined {
    const hostname = stripPort(host).toLowerCase();
    let lowerCasePath: string | undefined;
    for (const route of this.byMode[mode]) {
      const { definition } = route;
      if (definition.host !== undefined && definition.host !== hostname) continue;
      if (route.methods !== undefined && !route.methods.has(method)) continue;
      // A canonical path is ASCII (anything else stays percent-encoded), so this folds ASCII case only.
      const compared = definition.caseInsensitive ? (lowerCasePath ??= path.toLowerCase()) : path;
      if (matchesPrefix(route.matchPrefix, compared)) return route;
    }
    return undefined;
  }

  /** `_` reads as `-`: CGI and WSGI servers see `X_Auth_Subject` and `X-Auth-Subject` as one header. */
  isIdentityHeader(lowerCaseName: string): boolean {
    const name = lowerCaseName.includes('_') ? lowerCaseName.replaceAll('_', '-') : lowerCaseName;
    return name.startsWith(IDENTITY_HEADER_PREFIX) || this.identityHeaderNames.has(name);
  }
}

/** Host first, then prefix length; a method list only breaks ties, so it never lets a short prefix shadow a longer one. */
function specificity(route: RouteDefinition): number {
  return (route.host === undefined ? 0 : 1_000_000) + route.pathPrefix.length * 2 + (route.methods === undefined ? 0 : 1);
}

function matchesPrefix(prefix: string, path: string): boolean {
  if (prefix === '/') return true;
  return path === prefix || (path.startsWith(prefix) && path.charCodeAt(prefix.length) === 47 /* / */);
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.indexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}
