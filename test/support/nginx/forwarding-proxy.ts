import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startNginxFrom, type NginxServer } from './nginx-server.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'forwarding-proxy.conf.template');

/**
 * Starts nginx as a reverse proxy to `upstreamUrl` that appends the peer's address to
 * X-Forwarded-For (`$proxy_add_x_forwarded_for`); chain two for a two-hop path.
 */
export function startForwardingProxy(binary: string, upstreamUrl: string): Promise<NginxServer> {
  return startNginxFrom(binary, TEMPLATE, 'edge-nginx-hop-', { UPSTREAM: upstreamUrl });
}
