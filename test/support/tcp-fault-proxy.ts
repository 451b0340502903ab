import { createServer, connect, type Server, type Socket } from 'node:net';
import { listenLocal } from './vault-standin/listen.js';

const DEFAULT_PORTS: Record<string, number> = { 'https:': 443, 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379 };

/**
 * A TCP proxy in front of a real server (Vault in the live suite, PostgreSQL and Redis in the
 * outage tests), so a test can make it unreachable in both forms without touching the server
 * itself or others using it: `refuse()` stops listening (ECONNREFUSED), `hang()` accepts
 * connections and forwards nothing. Both drop the connections already open. `heal()` listens again
 * on the same port.
 */
export class TcpFaultProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private mode: 'forward' | 'hang' | 'refuse' = 'forward';
  private port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => {
      this.track(client);
      if (this.mode === 'hang') return;
      const upstream = connect(target.port, target.host);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
  }

  static async start(targetUrl: string): Promise<TcpFaultProxy> {
    const url = new URL(targetUrl);
    const proxy = new TcpFaultProxy({ host: url.hostname, port: Number(url.port || DEFAULT_PORTS[url.protocol] || 80) });
    await proxy.listen(0);
    return proxy;
  }

  /** The proxied address, same scheme as Vault's (TLS passes through untouched). */
  addr(targetUrl: string): string {
    const url = new URL(targetUrl);
    return `${url.protocol}//127.0.0.1:${this.port}`;
  }

  /** `targetUrl` (a connection string) through the proxy: credentials, path and options kept. */
  url(targetUrl: string): string {
    const url = new URL(targetUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  async refuse(): Promise<void> {
    this.mode = 'refuse';
    this.dropAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  hang(): void {
    this.mode = 'hang';
    this.dropAll();
  }

  async heal(): Promise<void> {
    const wasRefusing = this.mode === 'refuse';
    this.mode = 'forward';
    this.dropAll();
    if (wasRefusing) await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.dropAll();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private dropAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  private async listen(port: number): Promise<void> {
    this.port = await listenLocal(this.server, port);
  }
}
