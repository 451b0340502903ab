import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHttpApp, createServiceMetrics, Readiness } from '../../src/platform/index.js';
import { RequestLogger } from '../../src/platform/request-logger.js';
import { capturingLogger } from '../support/log-capture.js';

function app(level: 'info' | 'debug') {
  const capture = capturingLogger('request-logger-test', level);
  let children = 0;
  const child = capture.logger.child.bind(capture.logger);
  capture.logger.child = ((...args: Parameters<typeof child>) => ((children += 1), child(...args))) as typeof capture.logger.child;
  const server = createHttpApp({ logger: capture.logger, metrics: createServiceMetrics('request-logger-test', { defaultMetrics: false }), readiness: new Readiness() });
  server.get('/quiet', async () => ({ ok: true }));
  server.get('/warns', async (request) => {
    request.log.warn({ authorization: 'Bearer secret-token', detail: 'x' }, 'something odd');
    return { ok: true };
  });
  return { server, lines: capture.lines, children: () => children };
}

describe('request.log is built only when a request logs', () => {
  test('a request that logs nothing creates no child logger', async () => {
    const { server, children } = app('info');
    await server.ready();
    const atStart = children();
    assert.equal((await server.inject({ url: '/quiet' })).statusCode, 200);
    assert.equal(children(), atStart);
    await server.close();
  });

  test('a request that logs writes the line a child would: request id bound, secrets redacted', async () => {
    const { server, lines, children } = app('info');
    await server.ready();
    const atStart = children();
    const response = await server.inject({ url: '/warns', headers: { 'x-request-id': 'req-123' } });
    assert.equal(response.statusCode, 200);
    assert.equal(children(), atStart + 1);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'something odd');
    assert.ok(line, lines.join('\n'));
    assert.equal(line.reqId, 'req-123');
    assert.equal(line.authorization, '[REDACTED]');
    assert.equal(line.level, 40);
    await server.close();
  });

  test('a level below the logger level writes nothing and builds nothing', () => {
    const { logger, lines } = capturingLogger('request-logger-test', 'info');
    const log = new RequestLogger(logger, { reqId: 'r1' }, {});
    log.debug('not written');
    log.trace('not written');
    assert.equal(lines.length, 0);
    assert.equal(log.isLevelEnabled('debug'), false);
    assert.equal(log.isLevelEnabled('error'), true);
    log.error('written');
    assert.equal(lines.length, 1);
    assert.equal((JSON.parse(lines[0]!) as { reqId: string }).reqId, 'r1');
  });

  test('a route-level log level applies to the lazily built child', () => {
    const { logger, lines } = capturingLogger('request-logger-test', 'info');
    const log = new RequestLogger(logger, { reqId: 'r2' }, { level: 'debug' });
    assert.equal(log.level, 'debug');
    log.debug('written at debug');
    assert.equal(lines.length, 1);
  });
});
