import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { createHttpApp, createServiceMetrics, HttpProblem, Readiness, type DependencyStatus } from '../../src/platform/index.js';
import { capturingLogger } from '../support/log-capture.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('HTTP bootstrap', () => {
  let app: FastifyInstance;
  let lines: string[];
  let cacheState: DependencyStatus = { status: 'up' };
  let databaseDown = false;

  before(async () => {
    const capture = capturingLogger('http-test', 'trace');
    lines = capture.lines;
    const readiness = new Readiness();
    readiness.register('database', async () => {
      if (databaseDown) throw new Error('connection refused');
      return { status: 'up', engine: 'pglite' };
    });
    readiness.register('cache', () => cacheState);
    app = createHttpApp({ logger: capture.logger, metrics: createServiceMetrics('http-test', { defaultMetrics: false }), readiness, bodyLimitBytes: 1024 });
    app.get('/boom', async () => {
      throw new Error('database password is hunter2');
    });
    app.get('/teapot', async () => {
      throw new HttpProblem(418, 'teapot', 'I am a teapot', 'short and stout');
    });
    app.post('/echo', async (request) => request.body);
    app.get('/slow', async () => {
      await sleep(400);
      return { done: true };
    });
    await app.ready();
  });
  after(() => app.close());

  test('/healthz answers ok', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  test('/readyz is 200 with a per-dependency report while everything is up', async () => {
    databaseDown = false;
    cacheState = { status: 'up' };
    const response = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ready', dependencies: { database: { status: 'up', engine: 'pglite' }, cache: { status: 'up' } } });
  });

  test('/readyz is 503 naming the dependency that is down, and reports the others', async () => {
    databaseDown = true;
    cacheState = { status: 'up' };
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      const report = response.json();
      assert.equal(report.status, 'not_ready');
      assert.deepEqual(report.dependencies.database, { status: 'down', detail: 'connection refused' });
      assert.deepEqual(report.dependencies.cache, { status: 'up' });
    } finally {
      databaseDown = false;
    }
  });

  test('/readyz stays 200 but says degraded while a dependency is degraded', async () => {
    cacheState = { status: 'degraded', detail: 'serving from grace cache' };
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().status, 'degraded');
      assert.equal(response.json().dependencies.cache.detail, 'serving from grace cache');
    } finally {
      cacheState = { status: 'up' };
    }
  });

  test('/metrics serves Prometheus text with request durations by route', async () => {
    await app.inject({ method: 'GET', url: '/healthz' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(response.body, /# TYPE http_request_duration_seconds histogram/);
    assert.match(response.body, /http_request_duration_seconds_count\{[^}]*route="\/healthz"[^}]*\} \d+/);
    assert.match(response.body, /service="http-test"/);
  });

  test('a well-formed x-request-id is echoed back', async () => {
    const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'abc-123.def:9' } });
    assert.equal(response.headers['x-request-id'], 'abc-123.def:9');
  });

  test('a request without an id gets a generated UUID, different each time', async () => {
    const a = await app.inject({ method: 'GET', url: '/healthz' });
    const b = await app.inject({ method: 'GET', url: '/healthz' });
    assert.match(String(a.headers['x-request-id']), UUID);
    assert.notEqual(a.headers['x-request-id'], b.headers['x-request-id']);
  });

  test('a malicious or oversized x-request-id is replaced, never echoed or logged', async () => {
    for (const given of ['"},{"level":60,"msg":"forged', '<script>alert(1)</script>', 'a'.repeat(65), 'spaces are not allowed', '../../etc/passwd;rm']) {
      const before = lines.length;
      const response = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': given } });
      assert.match(String(response.headers['x-request-id']), UUID, given);
      assert.ok(!lines.slice(before).some((l) => l.includes(given)), `logged: ${given}`);
    }
  });

  test('an unknown route is a 404 problem+json with a code, and the query string is not reflected', async () => {
    const response = await app.inject({ method: 'GET', url: '/no/such/route?access_token=SECRET123' });
    assert.equal(response.statusCode, 404);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    const body = response.json();
    assert.equal(body.status, 404);
    assert.equal(body.code, 'not_found');
    assert.equal(typeof body.type, 'string');
    assert.equal(typeof body.title, 'string');
    assert.equal(body.instance, '/no/such/route');
    assert.ok(!response.body.includes('SECRET123'));
  });

  test('an unexpected error is a 500 internal_error whose message and stack stay on the server', async () => {
    const before = lines.length;
    const response = await app.inject({ method: 'GET', url: '/boom' });
    assert.equal(response.statusCode, 500);
    assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
    assert.equal(response.json().code, 'internal_error');
    assert.ok(!response.body.includes('hunter2'));
    assert.ok(!response.body.includes('at '), 'no stack frames');
    assert.ok(lines.slice(before).some((l) => l.includes('"level":50') && l.includes('request error')), 'the 500 is logged');
  });

  test('an HttpProblem keeps its status, code and detail', async () => {
    const response = await app.inject({ method: 'GET', url: '/teapot' });
    assert.equal(response.statusCode, 418);
    assert.deepEqual(response.json(), { type: 'https://auth-platform.dev/problems/teapot', title: 'I am a teapot', status: 418, code: 'teapot', detail: 'short and stout', instance: '/teapot' });
  });

  test('malformed JSON is a 400 invalid_json problem', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'invalid_json');
  });

  test('a body over the limit is a 413 body_too_large problem', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ a: 'x'.repeat(2000) }) });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json().code, 'body_too_large');
  });

  test('an unsupported content type is a 415 problem', async () => {
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/x-nonsense' }, payload: 'x' });
    assert.equal(response.statusCode, 415);
    assert.equal(response.json().code, 'unsupported_media_type');
  });

  test('request logs carry the path and request id but never the query string', async () => {
    const before = lines.length;
    await app.inject({ method: 'GET', url: '/healthz?access_token=QUERYSECRET&client_secret=QS2', headers: { 'x-request-id': 'log-check-1' } });
    const logged = lines.slice(before);
    assert.ok(logged.some((l) => l.includes('"path":"/healthz"') && l.includes('log-check-1')), logged.join(''));
    assert.ok(!logged.some((l) => l.includes('QUERYSECRET') || l.includes('QS2')), logged.join(''));
  });
});

describe('graceful shutdown', () => {
  test('close lets an in-flight request finish and refuses nothing that was already accepted', async () => {
    const { logger } = capturingLogger('shutdown-test', 'silent');
    const app = createHttpApp({ logger, metrics: createServiceMetrics('shutdown-test', { defaultMetrics: false }), readiness: new Readiness() });
    let entered!: () => void;
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    app.get('/slow', async () => {
      entered();
      await sleep(300);
      return { done: true };
    });
    const address = new URL(await app.listen({ host: '127.0.0.1', port: 0 }));
    const agent = new Agent({ keepAlive: true });
    const pending = new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: address.hostname, port: address.port, path: '/slow', agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      });
      req.on('error', reject);
      req.end();
    });
    try {
      await inHandler;
      const closed = app.close();
      const response = await pending;
      assert.equal(response.status, 200);
      assert.deepEqual(JSON.parse(response.body), { done: true });
      // Without it the keep-alive socket holds close() open for the keep-alive timeout (72 s).
      assert.equal(response.connection, 'close', 'the drained response ends its keep-alive connection');
      await closed;
    } finally {
      agent.destroy();
    }
  });
});
