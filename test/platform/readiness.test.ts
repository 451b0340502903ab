import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createHttpApp, createServiceMetrics, Readiness } from '../../src/platform/index.js';
import { PostgresDb } from '../../src/store/index.js';
import { capturingLogger } from '../support/log-capture.js';
import { TEST_DATABASE_URL } from '../support/databases.js';

function appWith(readiness: Readiness) {
  const { logger } = capturingLogger('readiness-test', 'silent');
  return createHttpApp({ logger, metrics: createServiceMetrics('readiness-test', { defaultMetrics: false }), readiness });
}

const databaseCheck = (db: PostgresDb) => async () => {
  await db.ping();
  return { status: 'up' as const, engine: db.kind };
};

describe('readiness with a real database', () => {
  test('is ready while PostgreSQL answers', async () => {
    const db = new PostgresDb({ connectionString: TEST_DATABASE_URL, poolSize: 1 });
    const readiness = new Readiness();
    readiness.register('database', databaseCheck(db));
    const app = appWith(readiness);
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json().dependencies.database, { status: 'up', engine: 'postgres' });
    } finally {
      await app.close();
      await db.close();
    }
  });

  test('is 503 naming the database when PostgreSQL is unreachable, without leaking the connection string', async () => {
    const db = new PostgresDb({ connectionString: 'postgres://auth:s3cret-pw@127.0.0.1:1/auth', poolSize: 1 });
    const readiness = new Readiness();
    readiness.register('database', databaseCheck(db));
    readiness.register('secrets', () => ({ status: 'up' }));
    const app = appWith(readiness);
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      const report = response.json();
      assert.equal(report.status, 'not_ready');
      assert.equal(report.dependencies.database.status, 'down');
      assert.equal(typeof report.dependencies.database.detail, 'string');
      assert.deepEqual(report.dependencies.secrets, { status: 'up' });
      assert.ok(!response.body.includes('s3cret-pw'));
      // Liveness is unaffected: the process is healthy, only not ready.
      assert.equal((await app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
    } finally {
      await app.close();
      await db.close();
    }
  });

  test('a check that hangs is reported down after its timeout instead of hanging /readyz', async () => {
    const readiness = new Readiness();
    readiness.register('stuck', () => new Promise(() => undefined));
    const app = appWith(readiness);
    try {
      const response = await app.inject({ method: 'GET', url: '/readyz' });
      assert.equal(response.statusCode, 503);
      assert.deepEqual(response.json().dependencies.stuck, { status: 'down', detail: 'check timed out' });
    } finally {
      await app.close();
    }
  });
});
