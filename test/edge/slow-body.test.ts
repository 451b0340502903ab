import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { eventually, startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

/**
 * Issue 9 finding 3: clients that send their request slowly hold an upstream connection each, so
 * a few of them exhaust a route's pool. The edge bounds the time to receive a request and the
 * size of its body.
 */

const UPSTREAM_CONNECTIONS = 4;
const SLOW_CLIENTS = 8;
const ROUTE_MAX_BODY = 1024;

interface RawExchange {
  socket: Socket;
  /** Everything the edge sent back, and the socket error if it was reset; resolves when the socket closes. */
  closed: Promise<{ response: string; error: string | undefined }>;
}

/** A client on a bare socket: it sends exactly these bytes, and as slowly as the test says. */
function rawClient(url: string, head: string): RawExchange {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  socket.write(head);
  let response = '';
  let error: string | undefined;
  socket.on('data', (chunk: Buffer) => (response += chunk.toString('latin1')));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<{ response: string; error: string | undefined }>((resolve) => socket.on('close', () => resolve({ response, error })));
  return { socket, closed };
}

/** Writes `chunk` every `intervalMs` until the socket closes: one byte at a time, the attack. */
function trickle(socket: Socket, chunk: string, intervalMs: number): void {
  const timer = setInterval(() => {
    if (socket.writable) socket.write(chunk);
  }, intervalMs);
  socket.once('close', () => clearInterval(timer));
}

describe('slow and oversized request bodies', () => {
  let setup: EdgeWithIssuer;
  let upstream: Server;
  /** Requests the upstream is still receiving. */
  let receiving = 0;
  /** Bodies the upstream received in full, by path. */
  const completed = new Map<string, number>();
  /** Bytes the upstream received, by path, complete or not. */
  const receivedBytes = new Map<string, number>();
  const clients: Socket[] = [];

  before(async () => {
    upstream = createServer((req, res) => {
      receiving += 1;
      let bytes = 0;
      req.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        receivedBytes.set(req.url ?? '', bytes);
      });
      req.on('end', () => {
        completed.set(req.url ?? '', bytes);
        res.end(`received ${bytes}`);
      });
      req.on('close', () => (receiving -= 1));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    setup = await startEdgeWithIssuer({
      env: {
        EDGE_UPSTREAM_CONNECTIONS: String(UPSTREAM_CONNECTIONS),
        // Small so the test is short; the defaults are 10 s and 30 s.
        EDGE_REQUEST_HEADERS_TIMEOUT: '1s',
        EDGE_REQUEST_TIMEOUT: '1s',
      },
      routes: [
        { name: 'uploads', pathPrefix: '/uploads', upstream: url, policy: { anonymous: true } },
        { name: 'small', pathPrefix: '/small', upstream: url, maxBodySize: `${ROUTE_MAX_BODY}b`, policy: { anonymous: true } },
      ],
    });
  });
  after(async () => {
    for (const socket of clients) socket.destroy();
    await setup.close();
    upstream.closeAllConnections();
    await new Promise((resolve) => upstream.close(resolve));
  });

  const open = (head: string) => {
    const exchange = rawClient(setup.edge.url, head);
    clients.push(exchange.socket);
    return exchange;
  };

  it(
    `serves a normal request while ${SLOW_CLIENTS} clients trickle bodies at a route with ${UPSTREAM_CONNECTIONS} upstream connections`,
    // Without a request timeout the normal request would wait behind the slow ones for ever; this only bounds that failure.
    { timeout: 20_000 },
    async () => {
      const slow = Array.from({ length: SLOW_CLIENTS }, (_, i) => {
        const exchange = open(`POST /uploads/slow-${i} HTTP/1.1\r\nHost: edge\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\nx`);
        trickle(exchange.socket, 'x', 100);
        return exchange;
      });
      assert.ok(await eventually(async () => receiving >= UPSTREAM_CONNECTIONS, 10_000), 'the slow clients hold every upstream connection');

      const response = await fetch(`${setup.edge.url}/uploads/normal`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
      assert.equal(response.status, 200);
      assert.equal(await response.text(), 'received 5');

      for (const { response: answer, error } of await Promise.all(slow.map((s) => s.closed))) {
        assert.ok(answer.startsWith('HTTP/1.1 408 ') || error !== undefined, `a slow client was cut off with 408 or a reset: ${answer.slice(0, 40)} ${error}`);
        if (answer !== '') assert.match(answer, /"code":"request_timeout"/);
      }
      for (let i = 0; i < SLOW_CLIENTS; i++) assert.equal(completed.has(`/uploads/slow-${i}`), false, 'no slow body reached the upstream in full');
    },
  );

  it('answers a client that trickles its headers with 408 request_timeout and closes the connection', { timeout: 20_000 }, async () => {
    const exchange = open('GET /uploads/x HTTP/1.1\r\nHost: edge\r\n');
    trickle(exchange.socket, 'X-Slow: 1\r\n', 100);
    const { response } = await exchange.closed;
    assert.match(response, /^HTTP\/1\.1 408 /);
    assert.match(response, /"code":"request_timeout"/);
  });

  it('refuses a declared Content-Length over the route cap with 413 body_too_large, without calling the upstream', async () => {
    const exchange = open(`POST /small/declared HTTP/1.1\r\nHost: edge\r\nContent-Type: text/plain\r\nContent-Length: ${ROUTE_MAX_BODY + 1}\r\n\r\n`);
    const { response } = await exchange.closed;
    assert.match(response, /^HTTP\/1\.1 413 /);
    assert.match(response, /"code":"body_too_large"/);
    assert.equal(receivedBytes.has('/small/declared'), false);
  });

  it('cuts a chunked body off at the route cap with 413: the upstream never receives it in full', async () => {
    const chunk = 'y'.repeat(600);
    const exchange = open(`POST /small/chunked HTTP/1.1\r\nHost: edge\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n`);
    // Two chunks pass the 1 KiB cap; the request is never finished, so only the cap can end it before the timeout.
    exchange.socket.write(`258\r\n${chunk}\r\n`);
    exchange.socket.write(`258\r\n${chunk}\r\n`);
    const { response } = await exchange.closed;
    assert.match(response, /^HTTP\/1\.1 413 /);
    assert.match(response, /"code":"body_too_large"/);
    assert.equal(completed.has('/small/chunked'), false);
    assert.ok((receivedBytes.get('/small/chunked') ?? 0) <= ROUTE_MAX_BODY);
  });

  it('forwards bodies within the cap, declared or chunked', async () => {
    const declared = await fetch(`${setup.edge.url}/small/ok`, { method: 'PUT', body: 'z'.repeat(ROUTE_MAX_BODY), headers: { 'content-type': 'text/plain' } });
    assert.equal(await declared.text(), `received ${ROUTE_MAX_BODY}`);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('z'.repeat(ROUTE_MAX_BODY)));
        controller.close();
      },
    });
    const chunked = await fetch(`${setup.edge.url}/small/ok-chunked`, { method: 'PUT', body: stream, duplex: 'half', headers: { 'content-type': 'text/plain' } } as RequestInit);
    assert.equal(await chunked.text(), `received ${ROUTE_MAX_BODY}`);
  });
});
