import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { freePort } from '../support/free-port.js';
import { failedStart, throwawayDatabaseUrl } from '../support/service-process.js';

/** A port held by another process (a server of the test's own) for the length of a test. */
async function occupiedPort(): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

const closedServer = (server: Server) => new Promise((resolve) => server.close(resolve));

/** A busy port is named with its variable (the listen comes last in start-up, so these are the slow ones). */
describe('start-up failures name the port variable', { concurrency: true }, () => {
  it('a TOKEN_SERVICE_PORT another process holds is named, with EADDRINUSE', async () => {
    const { port, server } = await occupiedPort();
    const database = await throwawayDatabaseUrl();
    try {
      const lines = await failedStart('token-service', { TOKEN_SERVICE_PORT: String(port), TOKEN_SERVICE_INTERNAL_PORT: '0', DATABASE_URL: database.url });
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, new RegExp(`TOKEN_SERVICE_PORT=${port}: cannot listen on 127\\.0\\.0\\.1:${port}: another process is using the port \\(EADDRINUSE\\)`));
    } finally {
      await closedServer(server);
      await database.drop();
    }
  });

  it('an EDGE_PORT another process holds is named, with EADDRINUSE', async () => {
    const { port, server } = await occupiedPort();
    const nobody = `http://127.0.0.1:${await freePort()}`;
    try {
      const lines = await failedStart('edge', {
        EDGE_PORT: String(port),
        EDGE_TOKEN_SERVICE_URL: nobody,
        EDGE_TOKEN_SERVICE_INTERNAL_URL: nobody,
        EDGE_REVOCATION_FEED_TOKEN: 'f'.repeat(43),
      });
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, new RegExp(`EDGE_PORT=${port}: cannot listen on 127\\.0\\.0\\.1:${port}: another process is using the port \\(EADDRINUSE\\)`));
    } finally {
      await closedServer(server);
    }
  });

});
