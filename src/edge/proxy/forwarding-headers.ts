import type { IncomingHttpHeaders } from 'node:http';

/** RFC 9110 §7.6.1: meaningful for one connection only, never forwarded. */
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** The hop-by-hop set for one message: the fixed list plus whatever its Connection header names. */
function hopByHop(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Set<string> {
  const connection = headers.connection;
  if (connection === undefined) return HOP_BY_HOP;
  const listed = (Array.isArray(connection) ? connection.join(',') : connection)
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token.length > 0);
  return new Set([...HOP_BY_HOP, ...listed]);
}

export interface UpstreamRequestHeaderOptions {
  clientHeaders: IncomingHttpHeaders;
  identityHeaderFilter: { isIdentityHeader(lowerCaseName: string): boolean };
  identity: Record<string, string>;
  /** The X-Forwarded-For to send: the client, what trusted proxies reported, the peer (`forwardedChain`). */
  forwardedFor: string;
  protocol: string;
  /** Keep the client's other X-Forwarded-* headers (only when the peer is a trusted proxy). */
  trustForwarded: boolean;
  /** Forward headers whose names contain `_`; identity headers are dropped in any spelling regardless. */
  allowUnderscoreHeaders: boolean;
  requestId: string;
}

/**
 * What the upstream receives: the client's headers minus hop-by-hop ones, minus any identity
 * header the client sent in any spelling (so identity cannot be spoofed), minus names with `_`
 * unless allowed, plus the edge's identity headers and X-Forwarded-For/-Proto/-Host. Host
 * becomes the upstream's own.
 */
export function upstreamRequestHeaders(options: UpstreamRequestHeaderOptions): Record<string, string | string[]> {
  const { clientHeaders } = options;
  const drop = hopByHop(clientHeaders);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(clientHeaders)) {
    if (value === undefined || drop.has(name) || name === 'host' || options.identityHeaderFilter.isIdentityHeader(name)) continue;
    // nginx's default (underscores_in_headers off): an upstream that maps `-` to `_` cannot tell such a name from its dashed twin.
    if (!options.allowUnderscoreHeaders && name.includes('_')) continue;
    if (name.startsWith('x-forwarded-') && !options.trustForwarded) continue;
    headers[name] = value;
  }
  for (const [name, value] of Object.entries(options.identity)) if (value !== '') headers[name] = value;
  // Only the trusted part of the client's X-Forwarded-For goes on: entries left of the client are its own writing.
  headers['x-forwarded-for'] = options.forwardedFor;
  if (!options.trustForwarded || clientHeaders['x-forwarded-proto'] === undefined) headers['x-forwarded-proto'] = options.protocol;
  if (!options.trustForwarded || clientHeaders['x-forwarded-host'] === undefined) {
    if (clientHeaders.host !== undefined) headers['x-forwarded-host'] = clientHeaders.host;
  }
  headers['x-request-id'] = options.requestId;
  return headers;
}

/** The upstream's response headers minus hop-by-hop ones. */
export function clientResponseHeaders(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const drop = hopByHop(upstream);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value !== undefined && !drop.has(name)) headers[name] = value;
  }
  return headers;
}
