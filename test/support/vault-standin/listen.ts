import type { AddressInfo, Server } from 'node:net';

/** Listens on 127.0.0.1 (port 0 for a free one, or the port to come back on) and returns the port. */
export async function listenLocal(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}
