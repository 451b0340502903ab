import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transpileForBench } from './lib/build.js';
import { BenchContext, MB } from './lib/context.js';
import { placeProcesses } from './lib/cpus.js';
import { toMarkdown, type BenchResults } from './lib/results.js';
import { startTokenService } from './lib/token-service.js';
import { forwardAuthScenario } from './scenarios/forward-auth.js';
import { issuanceScenario } from './scenarios/issuance.js';
import { proxyScenario } from './scenarios/proxy.js';

/**
 * `npm run bench`: every server under test in its own process on core 0, the load generator
 * (autocannon, in this process) on core 1, each comparison measured in the same run.
 *
 * BENCH_ONLY=forward-auth,proxy,issuance,crypto   run some scenarios (results go to bench/results/partial.*)
 * BENCH_DURATION=5 BENCH_WARMUP=1 BENCH_ROUNDS=2  seconds per measurement, interleaved rounds per comparison
 * BENCH_CPU_PROF=edge,token-service               run those servers under node --cpu-prof (bench/results/profiles/)
 * BENCH_PIN=off                                    do not pin servers and load to separate cores
 */
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['crypto', 'forward-auth', 'proxy', 'issuance'] as const;
const DISTINCT_TOKENS = 10_000;

const list = (value: string | undefined) => (value ?? '').split(',').map((s) => s.trim()).filter(Boolean);

async function main(): Promise<void> {
  const started = Date.now();
  const only = list(process.env.BENCH_ONLY);
  const selected = only.length === 0 ? [...SCENARIOS] : SCENARIOS.filter((s) => only.includes(s));
  const placement = placeProcesses(process.env.BENCH_PIN !== 'off');
  const build = transpileForBench(ROOT);
  const ctx = new BenchContext(ROOT, build, placement, Number(process.env.BENCH_DURATION ?? 5), Number(process.env.BENCH_WARMUP ?? 1), Number(process.env.BENCH_ROUNDS ?? 2), list(process.env.BENCH_CPU_PROF));
  ctx.log(`${placement.cores} cores; ${placement.pinned ? 'servers pinned to core 0, load generator to core 1' : 'not pinned (no taskset or one core)'}; scenarios: ${selected.join(', ')}`);

  const memory: BenchResults['memory'] = [];
  try {
    if (selected.includes('crypto')) {
      const rates = await ctx.node<{ url: string; results: BenchResults['algorithms']; secretChecks: BenchResults['secretChecks'] }>('crypto-rates', 'crypto-rates');
      ctx.results.algorithms.push(...rates.info.results);
      ctx.results.secretChecks.push(...rates.info.secretChecks);
      for (const c of rates.info.secretChecks) ctx.log(`client secret check, ${c.method}: ${c.perSecond.toFixed(1)}/s`);
      await ctx.stop(rates);
      for (const r of rates.info.results) {
        const signs = Number.isFinite(r.signPerSecond) ? `sign ${Math.round(r.signPerSecond)}/s, ` : '';
        ctx.log(`${r.alg} ${r.library}: ${signs}verify ${Math.round(r.verifyPerSecond)}/s`);
      }
    }
    const needsTokenService = selected.some((s) => s !== 'crypto');
    if (needsTokenService) {
      const tokenService = await startTokenService(ctx);
      try {
        let edgeIdle = 0;
        let edgePeak = 0;
        if (selected.includes('forward-auth') || selected.includes('proxy')) {
          const count = selected.includes('forward-auth') ? DISTINCT_TOKENS : 1;
          ctx.log(`minting ${count} tokens from token-service`);
          const tokens = await tokenService.mint(count);
          if (selected.includes('forward-auth')) {
            const edge = await forwardAuthScenario(ctx, tokenService, tokens);
            edgeIdle = edge.idle;
            edgePeak = Math.max(edgePeak, edge.peak);
          }
          if (selected.includes('proxy')) {
            const proxy = await proxyScenario(ctx, tokenService, tokens[0]!);
            edgePeak = Math.max(edgePeak, proxy.peak);
          }
          memory.push({
            service: 'auth-edge-service',
            idleMb: edgeIdle / MB,
            underLoadMb: edgePeak / MB,
            during: 'forward-auth and proxy runs (peak of 200 ms samples)',
            goal: { text: 'edge RSS < 150 MB under load', met: edgePeak > 0 && edgePeak < 150 * MB },
          });
        }
        if (selected.includes('issuance')) {
          const issuance = await issuanceScenario(ctx, tokenService);
          // Idle is read just before the issuance run, not at start: the embedded database's
          // start-up (initdb, migrations) leaves a transient peak that is not the service's idle size.
          memory.push({ service: 'token-service', idleMb: issuance.idle / MB, underLoadMb: issuance.peak / MB, during: 'issuance run (peak of 200 ms samples); idle read just before it' });
        }
      } finally {
        await tokenService.close();
      }
    }
  } finally {
    await ctx.stopAll();
  }

  const results: BenchResults = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: placement.cores,
    pinned: placement.pinned,
    placement: placement.pinned ? 'servers on core 0, load on core 1 (taskset)' : 'not pinned',
    durationSeconds: ctx.durationSeconds,
    warmupSeconds: ctx.warmupSeconds,
    rounds: ctx.rounds,
    wallSeconds: (Date.now() - started) / 1000,
    ...ctx.results,
    memory,
  };
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const name = only.length === 0 ? 'latest' : 'partial';
  for (const [ext, text] of [['json', `${JSON.stringify(results, null, 2)}\n`], ['md', toMarkdown(results)]] as const) {
    writeFileSync(join(dir, `${name}.${ext}.tmp`), text);
    renameSync(join(dir, `${name}.${ext}.tmp`), join(dir, `${name}.${ext}`));
  }
  process.stdout.write(toMarkdown(results));
  ctx.log(`done in ${results.wallSeconds.toFixed(0)} s; wrote bench/results/${name}.json and ${name}.md`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
