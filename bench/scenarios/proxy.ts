import type { ServerProcess } from '../lib/child.js';
import type { BenchContext, MeasureSpec } from '../lib/context.js';
import { benchRoutes, startEdge } from '../lib/edge.js';
import { findNginx, startNginx } from '../lib/nginx.js';
import type { RunningTokenService } from '../lib/token-service.js';

const SCENARIO = 'proxy';
const RATES = [500, 1000, 2000] as const;
/** Few connections at a fixed rate (latency), many at maximum throughput. */
const RATE_CONNECTIONS = 10;
const MAX_CONNECTIONS = 50;

/** Scenario 2: latency the edge adds in front of an upstream, and its throughput beside nginx + auth_request. */
export async function proxyScenario(ctx: BenchContext, tokenService: RunningTokenService, token: string): Promise<{ peak: number }> {
  const upstream = await ctx.node('upstream', 'hello');
  const edge = await startEdge(ctx, 'edge', tokenService, benchRoutes(upstream.info.url));
  const nginxBinary = findNginx();
  if (nginxBinary === undefined) {
    ctx.log('nginx not found: skipping the nginx + auth_request comparison (apt-get install -y nginx-light)');
    ctx.results.skipped.push({ scenario: SCENARIO, what: 'nginx proxy_pass + auth_request comparison', reason: 'nginx is not installed (apt-get install -y nginx-light)' });
  }
  const nginx = nginxBinary === undefined ? undefined : await startNginx(ctx, nginxBinary, edge.info.url, upstream.info.url);

  const spec = (id: string, label: string, server: ServerProcess, rate: number | undefined): MeasureSpec => ({
    id,
    label,
    options: {
      url: server.info.url,
      path: '/api/orders',
      tokens: [token],
      connections: rate === undefined ? MAX_CONNECTIONS : RATE_CONNECTIONS,
      ...(rate === undefined ? {} : { rate }),
      watch: server === upstream ? [upstream] : server === edge ? [edge, upstream] : [server, edge, upstream],
    },
  });
  const nginxLabel = 'nginx proxy_pass + auth_request to the edge';
  const m = new Map([
    ...(await ctx.measureRounds(
      SCENARIO,
      RATES.flatMap((rate) => [
        spec(`proxy.direct.${rate}`, 'upstream directly', upstream, rate),
        spec(`proxy.edge.${rate}`, 'through the edge', edge, rate),
        ...(rate === 1000 && nginx !== undefined ? [spec('proxy.nginx.1000', nginxLabel, nginx.server, rate)] : []),
      ]),
    )),
    ...(await ctx.measureRounds(SCENARIO, [
      spec('proxy.direct.max', 'upstream directly', upstream, undefined),
      spec('proxy.edge.max', 'through the edge', edge, undefined),
      ...(nginx === undefined ? [] : [spec('proxy.nginx.max', nginxLabel, nginx.server, undefined)]),
    ])),
  ]);
  await nginx?.close();
  await ctx.stop(edge, upstream);

  const ms = (name: string, value: number) => ({ name, value, unit: 'ms' });
  for (const rate of RATES) {
    ctx.compare({
      id: `proxy.added.p99.${rate}`, scenario: SCENARIO, label: `p99 at ${rate} req/s: through the edge vs upstream directly`, kind: 'difference',
      figure: ms('edge', m.get(`proxy.edge.${rate}`)!.p99Ms), baseline: ms('direct', m.get(`proxy.direct.${rate}`)!.p99Ms),
      ...(rate === 1000 ? { goal: { text: 'proxy p99 added < 1 ms at 1000 req/s', test: (added: number) => added < 1 } } : {}),
    });
  }
  ctx.compare({
    id: 'proxy.added.p99.max', scenario: SCENARIO, label: 'p99 at maximum throughput: through the edge vs upstream directly', kind: 'difference',
    figure: ms('edge', m.get('proxy.edge.max')!.p99Ms), baseline: ms('direct', m.get('proxy.direct.max')!.p99Ms),
  });
  ctx.compareThroughput('proxy.max.vs.direct', SCENARIO, 'maximum throughput: through the edge vs upstream directly', 'req/s', ['edge + upstream', m.get('proxy.edge.max')!], ['upstream', m.get('proxy.direct.max')!]);
  if (nginx !== undefined) {
    ctx.compareThroughput(
      'proxy.max.vs.nginx', SCENARIO, 'maximum throughput: edge proxy vs nginx proxy_pass + auth_request to the edge', 'req/s',
      ['edge + upstream', m.get('proxy.edge.max')!], ['nginx + edge + upstream', m.get('proxy.nginx.max')!],
      { text: 'proxy maximum throughput ≥ nginx + auth_request', test: (r) => r >= 1 },
    );
    ctx.compare({
      id: 'proxy.nginx.added.p99.1000', scenario: SCENARIO, label: 'p99 at 1000 req/s: nginx + auth_request vs upstream directly', kind: 'difference',
      figure: ms('nginx + auth_request', m.get('proxy.nginx.1000')!.p99Ms), baseline: ms('direct', m.get('proxy.direct.1000')!.p99Ms),
    });
  }
  return { peak: Math.max(...[...m.values()].map((x) => x.peakRss.edge ?? 0)) };
}
