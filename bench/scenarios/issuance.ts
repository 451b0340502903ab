import { randomBytes } from 'node:crypto';
import type { BenchContext } from '../lib/context.js';
import { freePort } from '../../test/support/free-port.js';
import { basic, BENCH_RESOURCE, tokenRequestBody, type RunningTokenService } from '../lib/token-service.js';

const SCENARIO = 'issuance';
const CONNECTIONS = 50;

/** Scenario 3: client_credentials tokens/s beside node-oidc-provider and Fastify signing the same claims. */
export async function issuanceScenario(ctx: BenchContext, tokenService: RunningTokenService): Promise<{ idle: number; peak: number }> {
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const load = { path: '/oauth2/token', method: 'POST' as const, body: tokenRequestBody, connections: CONNECTIONS };

  const idle = tokenService.server.rss() ?? 0;
  const clientId = 'bench-client';
  const secret = randomBytes(32).toString('base64url');
  const oidcPort = await freePort();
  const oidc = await ctx.node('oidc-provider', 'oidc-provider', {
    env: { PORT: String(oidcPort), BENCH_RESOURCE, BENCH_CLIENT_ID: clientId, BENCH_CLIENT_SECRET: secret },
  });
  const raw = await ctx.node('raw-sign', 'raw-sign', { env: { BENCH_ISSUER: tokenService.server.info.url } });
  const m = await ctx.measureRounds(SCENARIO, [
    {
      id: 'issue.token-service',
      label: 'token-service (client_secret_basic, ES256)',
      options: { ...load, url: tokenService.server.info.url, headers: { ...form, authorization: tokenService.client.basic }, watch: [tokenService.server] },
    },
    {
      id: 'issue.oidc-provider',
      label: 'node-oidc-provider (client_secret_basic, JWT via resource indicator, ES256)',
      options: { ...load, url: oidc.info.url, path: '/token', headers: { ...form, authorization: basic(clientId, secret) }, watch: [oidc] },
    },
    { id: 'issue.raw-sign', label: 'Fastify signing the same claims (ES256, node:crypto)', options: { ...load, url: raw.info.url, headers: form, watch: [raw] } },
  ]);
  await ctx.stop(oidc, raw);
  const ours = m.get('issue.token-service')!;
  const peer = m.get('issue.oidc-provider')!;
  const limit = m.get('issue.raw-sign')!;

  const ms = (name: string, value: number) => ({ name, value, unit: 'ms' });
  ctx.compareThroughput('issue.vs.oidc-provider', SCENARIO, 'client_credentials: token-service vs node-oidc-provider', 'tokens/s', ['token-service', ours], ['node-oidc-provider', peer], {
    text: 'issuance ≥ 2× node-oidc-provider',
    test: (r) => r >= 2,
  });
  ctx.compareThroughput('issue.vs.raw', SCENARIO, 'client_credentials: token-service vs Fastify signing the same claims', 'tokens/s', ['token-service', ours], ['raw signing', limit], {
    text: 'issuance ≥ 75% of the raw signing limit',
    test: (r) => r >= 0.75,
  });
  ctx.compare({
    id: 'issue.p99.vs.oidc-provider', scenario: SCENARIO, label: 'p99: token-service vs node-oidc-provider', kind: 'difference',
    figure: ms('token-service', ours.p99Ms), baseline: ms('node-oidc-provider', peer.p99Ms),
  });
  return { idle, peak: ours.peakRss['token-service'] ?? 0 };
}
