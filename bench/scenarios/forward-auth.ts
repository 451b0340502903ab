import type { BenchContext } from '../lib/context.js';
import { MB } from '../lib/context.js';
import { benchRoutes, startEdge } from '../lib/edge.js';
import type { RunningTokenService } from '../lib/token-service.js';

const SCENARIO = 'forward-auth';
const CONNECTIONS = 50;
/** What nginx auth_request sends the edge. */
const HEADERS = { 'x-original-uri': '/api/orders', 'x-original-method': 'GET', 'x-original-host': 'api.example' };
/**
 * The edge keeps 10k verified tokens by default. For the distinct-token run it gets a cache ten
 * times smaller than the token set: in round-robin order every request is then a miss that pays
 * parsing, signature verification and the cache insertion and eviction, which is the cost the
 * run is meant to show (with a 10k cache the 10k tokens would all be hits after warm-up).
 */
const DISTINCT_RUN_CACHE_SIZE = '1000';

export interface EdgeMemory {
  idle: number;
  peak: number;
}

/** Scenario 1: decisions/s and latency of /auth/verify beside Fastify+jose and bare node:http. */
export async function forwardAuthScenario(ctx: BenchContext, tokenService: RunningTokenService, distinct: readonly string[]): Promise<EdgeMemory> {
  const repeated = [distinct[0]!];
  const load = { path: '/auth/verify', headers: HEADERS, connections: CONNECTIONS };

  // All up at once (idle servers cost nothing), so the rounds can interleave.
  const hello = await ctx.node('hello', 'hello');
  const raw = await ctx.node('raw-verify', 'raw-verify', { env: { BENCH_JWKS_URL: `${tokenService.server.info.url}/.well-known/jwks.json` } });
  const edge = await startEdge(ctx, 'edge', tokenService, benchRoutes());
  const edgeCold = await startEdge(ctx, 'edge-cold', tokenService, benchRoutes(), { EDGE_VERIFIED_CACHE_SIZE: DISTINCT_RUN_CACHE_SIZE });
  const idle = edge.rss() ?? 0;
  const m = await ctx.measureRounds(SCENARIO, [
    { id: 'fa.hello', label: 'bare node:http hello', options: { ...load, url: hello.info.url, tokens: repeated, watch: [hello] } },
    { id: 'fa.raw.repeated', label: 'Fastify + jose jwtVerify, one token repeated', options: { ...load, url: raw.info.url, tokens: repeated, watch: [raw] } },
    { id: 'fa.edge.repeated', label: 'edge, one token repeated', options: { ...load, url: edge.info.url, tokens: repeated, watch: [edge] } },
    { id: 'fa.raw.distinct', label: 'Fastify + jose jwtVerify, 10k distinct tokens', options: { ...load, url: raw.info.url, tokens: distinct, watch: [raw] } },
    {
      id: 'fa.edge.distinct',
      label: `edge, 10k distinct tokens (cache ${DISTINCT_RUN_CACHE_SIZE}: every request a miss)`,
      options: { ...load, url: edgeCold.info.url, tokens: distinct, watch: [edgeCold] },
    },
  ]);
  await ctx.stop(hello, raw, edge, edgeCold);
  const helloRun = m.get('fa.hello')!;
  const rawRepeated = m.get('fa.raw.repeated')!;
  const rawDistinct = m.get('fa.raw.distinct')!;
  const edgeRepeated = m.get('fa.edge.repeated')!;
  const edgeDistinct = m.get('fa.edge.distinct')!;

  const p99 = (name: string, value: number) => ({ name, value, unit: 'ms' });
  ctx.compareThroughput('fa.distinct.vs.raw', SCENARIO, '10k distinct tokens: edge vs Fastify + jose', 'decisions/s', ['edge', edgeDistinct], ['Fastify + jose', rawDistinct], {
    text: 'edge forward-auth, distinct tokens ≥ 80% of the raw baseline',
    test: (r) => r >= 0.8,
  });
  ctx.compareThroughput('fa.repeated.vs.hello', SCENARIO, 'one token repeated: edge vs bare node:http', 'decisions/s', ['edge', edgeRepeated], ['node:http hello', helloRun], {
    text: 'edge forward-auth, repeated token ≥ 60% of bare node:http hello',
    test: (r) => r >= 0.6,
  });
  ctx.compareThroughput('fa.repeated.vs.raw', SCENARIO, 'one token repeated: edge (cache) vs Fastify + jose (no cache)', 'decisions/s', ['edge', edgeRepeated], ['Fastify + jose', rawRepeated]);
  ctx.compareThroughput('fa.distinct.vs.hello', SCENARIO, '10k distinct tokens: edge vs bare node:http', 'decisions/s', ['edge', edgeDistinct], ['node:http hello', helloRun]);
  ctx.compare({
    id: 'fa.distinct.p99', scenario: SCENARIO, label: 'p99, 10k distinct tokens: edge vs Fastify + jose', kind: 'difference',
    figure: p99('edge', edgeDistinct.p99Ms), baseline: p99('Fastify + jose', rawDistinct.p99Ms),
  });
  ctx.compare({
    id: 'fa.repeated.p99', scenario: SCENARIO, label: 'p99, one token repeated: edge vs bare node:http', kind: 'difference',
    figure: p99('edge', edgeRepeated.p99Ms), baseline: p99('node:http hello', helloRun.p99Ms),
  });
  const peak = Math.max(edgeRepeated.peakRss.edge ?? 0, edgeDistinct.peakRss['edge-cold'] ?? 0);
  ctx.log(`edge RSS: idle ${(idle / MB).toFixed(0)} MB, peak under load ${(peak / MB).toFixed(0)} MB`);
  return { idle, peak };
}
