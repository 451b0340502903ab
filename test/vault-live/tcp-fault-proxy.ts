import { createServer, connect, type Server, type Socket } from 'node:net';
import { listenLocal } from '../support/vault-standin/listen.js';

/**
 * A TCP proxy in front of a real Vault, so the live suite can make it unreachable in both
 * forms without touching Vault itself: `refuse()` stops listening (ECONNREFUSED), `hang()`
 * accepts connections and forwards nothing. `heal()` listens again on the same port.
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
    const proxy = new TcpFaultProxy({ host: url.hostname, port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)) });
    await proxy.listen(0);
    return proxy;
  }

  /** The proxied address, same scheme as Vault's (TLS passes through untouched). */
  addr(targetUrl: string): string {
    const url = new URL(targetUrl);
    return `${url.protocol}//127.0.0.1:${this.port}`;
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
