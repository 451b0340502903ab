import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RouteSpec } from './routes/route-definition.js';

export interface DemoUpstream {
  url: string;
  close(): Promise<void>;
}

/**
 * A tiny API to put behind the edge: it answers with the identity the edge asserted and echoes
 * the request (method, path, headers, body), so a demo or a test can see exactly what arrived.
 */
export async function startDemoUpstream(options: { host?: string; port?: number } = {}): Promise<DemoUpstream> {
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.stringify({
        message: 'hello from the demo upstream',
        identity: {
          subject: request.headers['x-auth-subject'] ?? null,
          clientId: request.headers['x-auth-client-id'] ?? null,
          scopes: request.headers['x-auth-scopes'] ?? null,
        },
        method: request.method,
        path: request.url,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The demo's route: `/demo` on the edge, proxied to the demo upstream, requiring `audience` and `demo.read` (the demo client's scope). */
export function demoRoutes(upstreamUrl: string, audience: string): RouteSpec[] {
  return [
    {
      name: 'demo',
      pathPrefix: '/demo',
      upstream: upstreamUrl,
      stripPrefix: true,
      timeout: '10s',
      policy: { audience, scopes: ['demo.read'] },
    },
  ];
}
