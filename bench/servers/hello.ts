import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { announceReady, closeOnTerm } from '../lib/child.js';

// Bare node:http: the transport limit, and the upstream behind the proxy scenarios.
const body = Buffer.from('{"hello":"world"}');
const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
  response.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  announceReady({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});
closeOnTerm(() => new Promise((resolve) => server.close(resolve)));
