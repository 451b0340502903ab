import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ConfigError, loadConfig, MAX_CLOCK_SKEW_MS } from '../../src/platform/index.js';
import { startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { eventually, refusalCode, startTestEdge, verify, type TestEdge } from './edge-harness.js';

/**
 * Attack: a revoked access token presented again just after its `exp`. The edge admits tokens
 * until `exp` plus its clock skew, so a revocation forgotten at `exp` (by the edge's purge, or
 * by token-service's feed and purge) would let the token back in for the skew window.
 */
const ROUTE = { name: 'api', pathPrefix: '/api', policy: { audience: 'api' } };
const SKEW_MS = 30_000;
/** Purge and pull often, so a purge that forgets too early has every chance to show. */
const EDGE_ENV = { EDGE_CLOCK_SKEW: `${SKEW_MS / 1000}s`, EDGE_REVOCATION_POLL_INTERVAL: '100ms' };

const expiryMs = (token: string) => (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;

describe('the edge clock skew is bounded by what token-service retains', () => {
  it('refuses EDGE_CLOCK_SKEW above 5 minutes at start, naming the variable', () => {
    assert.equal(loadConfig({ EDGE_CLOCK_SKEW: '5m' }).edge.clockSkewMs, MAX_CLOCK_SKEW_MS);
    assert.throws(() => loadConfig({ EDGE_CLOCK_SKEW: '6m' }), (error: unknown) => error instanceof ConfigError && /EDGE_CLOCK_SKEW: must be at most/.test(error.message));
  });
});

describe('a revoked token stays refused between its exp and exp + clock skew', () => {
  let clock = Date.now();
  const now = () => clock;
  let ts: TestTokenService;
  let client: TestClient;
  const edges: TestEdge[] = [];

  before(async () => {
    ts = await startTestTokenService({ now });
    client = await ts.createClient();
  });
  after(async () => {
    for (const edge of edges) await edge.close();
    await ts.close();
  });

  async function startEdge(): Promise<TestEdge> {
    const edge = await startTestEdge({ issuer: ts, bus: ts.store.bus, routes: [ROUTE], now, env: EDGE_ENV });
    edges.push(edge);
    return edge;
  }

  async function revokedToken(): Promise<string> {
    const { access_token } = await ts.clientCredentials(client);
    assert.equal((await ts.form('/oauth2/revoke', { token: access_token }, client)).status, 200);
    return access_token;
  }

  /** How often edges have pulled the feed (token-service's request metric). */
  async function feedPulls(): Promise<number> {
    const text = await (await fetch(`${ts.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith('http_request_duration_seconds_count') && l.includes('route="/internal/revocations"') && l.includes('status="200"'));
    return line === undefined ? 0 : Number(line.split(' ').pop());
  }

  /** The edge's purge runs just before each timed pull: a few pulls after the clock moved, it has run at the new time. */
  async function afterEdgePurges(): Promise<void> {
    const start = await feedPulls();
    assert.ok(await eventually(async () => (await feedPulls()) >= start + 3, 10_000), 'the edge kept pulling the feed');
  }

  async function edgeEntries(edge: TestEdge): Promise<number> {
    const text = await (await fetch(`${edge.url}/metrics`)).text();
    return Number(/^edge_revocation_entries(?:\{[^}]*\})? (\d+)/m.exec(text)?.[1]);
  }

  it('a running edge keeps the revocation past exp, and drops it once the skew has passed too', async () => {
    const edge = await startEdge();
    const token = await revokedToken();
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked');

    clock = expiryMs(token) + SKEW_MS / 2;
    await afterEdgePurges();
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked');

    clock = expiryMs(token) + SKEW_MS;
    assert.equal(await refusalCode(await verify(edge, token)), 'token_expired');
    assert.ok(await eventually(async () => (await edgeEntries(edge)) === 0, 10_000), 'the set does not grow without bound');
  });

  it('an edge that starts after exp learns the revocation from the feed, even after token-service purged', async () => {
    const token = await revokedToken();
    clock = expiryMs(token) + SKEW_MS / 2;
    // What token-service's purge timer does, at this moment.
    await ts.service.context.revocations.purgeExpired(new Date(clock));
    const edge = await startEdge();
    assert.equal(await refusalCode(await verify(edge, token)), 'token_revoked');
  });

  it('token-service forgets an entry once the largest skew any edge may use has passed', async () => {
    const token = await revokedToken();
    const jti = (JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
    const inFeed = async () => (await ts.service.context.revocations.feed(0, 1000, new Date(clock))).events.some((e) => e.value === jti);

    clock = expiryMs(token) + MAX_CLOCK_SKEW_MS - 1000;
    await ts.service.context.revocations.purgeExpired(new Date(clock));
    assert.ok(await inFeed(), 'kept while any edge may still admit the token');

    clock = expiryMs(token) + MAX_CLOCK_SKEW_MS + 1000;
    await ts.service.context.revocations.purgeExpired(new Date(clock));
    assert.equal(await inFeed(), false);
  });
});
