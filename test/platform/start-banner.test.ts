import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createTestSchema, databaseUrlForSchema } from '../support/databases.js';
import { freePort } from '../support/free-port.js';
import { startPlatform, type StartedPlatform } from '../support/platform-process.js';

/**
 * The banner of `npm start` is the first thing an operator trusts. An edge that cannot load
 * token-service's keys answers 503 to every token: the banner must say so, as /readyz does,
 * instead of "auth-platform is up".
 */
describe('npm start with an edge that cannot load the keys', () => {
  let dataDir: string;
  let schema: Awaited<ReturnType<typeof createTestSchema>>;
  let platform: StartedPlatform;
  let edgePort: number;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'start-banner-'));
    schema = await createTestSchema();
    edgePort = await freePort();
    platform = await startPlatform({
      AUTH_DATA_DIR: dataDir, LOG_LEVEL: 'error', DATABASE_URL: databaseUrlForSchema(schema.schema),
      TOKEN_SERVICE_PORT: String(await freePort()), TOKEN_SERVICE_INTERNAL_PORT: String(await freePort()), EDGE_PORT: String(edgePort),
      // Nothing listens here: the key set never loads.
      EDGE_JWKS_URL: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json`,
    });
  });
  after(async () => {
    await platform?.stop();
    await schema?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('does not say the platform is up, and names the edge dependency that is down', () => {
    assert.doesNotMatch(platform.banner, /is up/);
    assert.match(platform.banner, /^auth-platform started, but edge is not ready\.$/m);
    assert.match(platform.banner, /^  token-service\s+\S+\s+ready\b/m);
    assert.match(platform.banner, new RegExp(`^  edge\\s+http://127\\.0\\.0\\.1:${edgePort}\\s+not ready: .*jwks down \\(key set never loaded\\)`, 'm'));
    assert.match(platform.banner, new RegExp(`curl -s http://127\\.0\\.0\\.1:${edgePort}/readyz`));
  });
});
