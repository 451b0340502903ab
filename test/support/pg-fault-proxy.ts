import { connect, createServer, type Server, type Socket } from 'node:net';
import { listenLocal } from './vault-standin/listen.js';

type Cut = { direction: 'to-server' | 'to-client'; marker: Buffer };

/**
 * A TCP proxy in front of PostgreSQL that cuts one connection at a chosen protocol message, so a
 * test can lose a connection exactly where it matters: before the server receives a statement
 * (`cutBeforeServerReceives`), or after the server has run it but before the client hears so
 * (`cutAfterServerCompletes`). Markers are found in the raw bytes: a simple Query message
 * (`Q`, length, the SQL, NUL; what pg sends for a statement without parameters) or a
 * CommandComplete (`C`, length, the tag, NUL).
 */
export class PgFaultProxy {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private cut: Cut | undefined;
  private port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = createServer((client) => this.accept(client));
  }

  /** A proxy for the server of `databaseUrl`; `url()` is the same URL through the proxy. */
  static async start(databaseUrl: string): Promise<PgFaultProxy> {
    const url = new URL(databaseUrl);
    const proxy = new PgFaultProxy({ host: url.hostname, port: Number(url.port || 5432) });
    proxy.port = await listenLocal(proxy.server, 0);
    return proxy;
  }

  url(databaseUrl: string): string {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(this.port);
    return url.toString();
  }

  /** The next simple query `sql` is not delivered: its connection is cut instead. */
  cutBeforeServerReceives(sql: string): void {
    this.cut = { direction: 'to-server', marker: message('Q', sql) };
  }

  /** The next CommandComplete `tag` (e.g. COMMIT) is not delivered: the server has done it, the client never hears. */
  cutAfterServerCompletes(tag: string): void {
    this.cut = { direction: 'to-client', marker: message('C', tag) };
  }

  /** A cut is armed and has not happened yet. */
  get pending(): boolean {
    return this.cut !== undefined;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    const forward = (from: Socket, to: Socket, direction: Cut['direction']) => {
      from.on('data', (chunk: Buffer) => {
        const cut = this.cut;
        if (cut?.direction === direction && chunk.includes(cut.marker)) {
          this.cut = undefined;
          client.destroy();
          upstream.destroy();
          return;
        }
        to.write(chunk);
      });
      from.on('close', () => to.destroy());
    };
    forward(client, upstream, 'to-server');
    forward(upstream, client, 'to-client');
  }
}

/** A protocol message: type byte, int32 length (itself included), the text, NUL. */
function message(type: string, text: string): Buffer {
  const body = Buffer.from(`${text}\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write(type, 0, 'ascii');
  header.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}
