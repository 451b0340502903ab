import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startNodeServer, startProcess, type ServerProcess, type SpawnOptions } from './child.js';
import type { Placement } from './cpus.js';
import { runLoad, type LoadOptions } from './load.js';
import type { BenchResults, Comparison, Measurement } from './results.js';

export type Results = Pick<BenchResults, 'measurements' | 'comparisons' | 'memory' | 'skipped' | 'algorithms' | 'secretChecks'>;

/** What every scenario gets: where the compiled servers are, where to run them, and where results go. */
export class BenchContext {
  readonly results: Results = { measurements: [], comparisons: [], memory: [], skipped: [], algorithms: [], secretChecks: [] };
  private readonly running = new Set<ServerProcess>();

  constructor(
    readonly root: string,
    readonly build: string,
    readonly placement: Placement,
    readonly durationSeconds: number,
    readonly warmupSeconds: number,
    /** Each comparison group runs this many interleaved rounds; the best round of each server counts. */
    readonly rounds: number,
    /** Server names to run under `node --cpu-prof` (BENCH_CPU_PROF=edge,token-service). */
    private readonly profile: readonly string[],
  ) {}

  log(message: string): void {
    process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
  }

  /** Starts `bench/servers/<script>.js` (or `src/<script>.js` when it starts with `src/`) on the servers' core. */
  async node<Info extends { url: string }>(name: string, script: string, options: Omit<SpawnOptions, 'placement'> = {}): Promise<ServerProcess<Info>> {
    const path = script.startsWith('src/') ? join(this.build, `${script}.js`) : join(this.build, 'bench', 'servers', `${script}.js`);
    const flags = [...(options.nodeFlags ?? [])];
    if (this.profile.includes(name)) {
      const dir = join(this.root, 'bench', 'results', 'profiles');
      mkdirSync(dir, { recursive: true });
      flags.push('--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`);
    }
    const server = await startNodeServer<Info>(path, name, { ...options, nodeFlags: flags, placement: this.placement });
    this.running.add(server);
    return server;
  }

  async process<Info extends { url: string }>(name: string, command: string, args: string[], options: Omit<SpawnOptions, 'placement'> = {}): Promise<ServerProcess<Info>> {
    const server = await startProcess<Info>(name, command, args, { ...options, placement: this.placement });
    this.running.add(server);
    return server;
  }

  async stop(...servers: Array<ServerProcess | undefined>): Promise<void> {
    await Promise.all(
      servers.map(async (server) => {
        if (server === undefined) return;
        this.running.delete(server);
        await server.close();
      }),
    );
  }

  async stopAll(): Promise<void> {
    await this.stop(...this.running);
  }

  /**
   * Runs every spec once per round, round after round (A B C, A B C, ...), so a burst of load from
   * elsewhere on a shared machine hits all sides of a comparison alike; then keeps each spec's best
   * round: the highest throughput, or at a fixed rate the lowest p99. Every round is kept in the JSON.
   */
  async measureRounds(scenario: string, specs: readonly MeasureSpec[]): Promise<Map<string, Measurement>> {
    const rounds = new Map<string, Measurement[]>();
    for (let round = 0; round < this.rounds; round++) {
      for (const spec of specs) {
        const measurement = await this.measureOnce(spec.id, scenario, spec.label, spec.options);
        rounds.set(spec.id, [...(rounds.get(spec.id) ?? []), measurement]);
      }
    }
    const best = new Map<string, Measurement>();
    for (const spec of specs) {
      const all = rounds.get(spec.id)!;
      const fixedRate = spec.options.rate !== undefined;
      // At maximum throughput the best round is the most CPU-efficient one (requests per server-core
      // second): the round least disturbed by other work on the machine.
      const chosen = all.reduce((a, b) => (fixedRate ? (b.p99Ms < a.p99Ms ? b : a) : b.requestsPerServerCore > a.requestsPerServerCore ? b : a));
      const peakRss: Record<string, number> = {};
      for (const m of all) for (const [name, bytes] of Object.entries(m.peakRss)) peakRss[name] = Math.max(peakRss[name] ?? 0, bytes);
      const measurement: Measurement = {
        ...chosen,
        peakRss,
        rounds: all.map((m) => ({
          requestsPerSecond: m.requestsPerSecond, requestsPerServerCore: m.requestsPerServerCore, p50Ms: m.p50Ms, p99Ms: m.p99Ms,
          errors: m.errors, non2xx: m.non2xx, cpu: m.cpu,
        })),
      };
      this.results.measurements.push(measurement);
      best.set(spec.id, measurement);
    }
    return best;
  }

  /** One load run (warm-up, then measured). */
  private async measureOnce(
    id: string,
    scenario: string,
    label: string,
    options: Omit<LoadOptions, 'durationSeconds' | 'warmupSeconds'> & { warmupSeconds?: number },
  ): Promise<Measurement> {
    const result = await runLoad({ warmupSeconds: this.warmupSeconds, ...options, durationSeconds: this.durationSeconds });
    const measurement: Measurement = { id, scenario, label, connections: options.connections, rate: options.rate, ...result };
    const cpu = Object.entries(result.cpu).map(([name, cores]) => `${name} ${cores.toFixed(2)}`).join(', ');
    const rss = Object.entries(result.peakRss).map(([name, bytes]) => `${name} ${(bytes / 2 ** 20).toFixed(0)} MB`).join(', ');
    this.log(
      `${scenario} · ${label}${options.rate === undefined ? '' : ` @${options.rate}/s`}: ${result.requestsPerSecond.toFixed(0)} req/s ` +
        `(${result.requestsPerServerCore.toFixed(0)} per server core), ` +
        `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms, errors ${result.errors}, non-2xx ${result.non2xx}${rss ? ` · ${rss}` : ''} · cpu ${cpu}`,
    );
    if (result.non2xx > 0 || result.errors > 0) this.log(`  warning: ${label} had ${result.errors} errors and ${result.non2xx} non-2xx answers`);
    return measurement;
  }

  /**
   * Throughput of `figure` beside `baseline` twice: per server core (the figure the goals use, immune
   * to how much of its core a server got on a shared machine) and as measured.
   */
  compareThroughput(
    id: string,
    scenario: string,
    label: string,
    unit: string,
    figure: [string, Measurement],
    baseline: [string, Measurement],
    goal?: { text: string; test: (ratio: number) => boolean },
  ): Comparison {
    const perCore = this.compare({
      id, scenario, label: `${label} (per server core)`,
      figure: { name: figure[0], value: figure[1].requestsPerServerCore, unit: `${unit} per server core` },
      baseline: { name: baseline[0], value: baseline[1].requestsPerServerCore, unit: `${unit} per server core` },
      ...(goal === undefined ? {} : { goal }),
    });
    this.compare({
      id: `${id}.measured`, scenario, label: `${label} (as measured)`,
      figure: { name: figure[0], value: figure[1].requestsPerSecond, unit },
      baseline: { name: baseline[0], value: baseline[1].requestsPerSecond, unit },
    });
    return perCore;
  }

  compare(comparison: Omit<Comparison, 'ratio' | 'kind' | 'goal'> & { kind?: Comparison['kind']; goal?: { text: string; test: (ratio: number) => boolean } }): Comparison {
    const kind = comparison.kind ?? 'ratio';
    const ratio = kind === 'ratio' ? comparison.figure.value / comparison.baseline.value : comparison.figure.value - comparison.baseline.value;
    const { goal, ...rest } = comparison;
    const recorded: Comparison = { ...rest, kind, ratio, ...(goal === undefined ? {} : { goal: { text: goal.text, met: goal.test(ratio) } }) };
    this.results.comparisons.push(recorded);
    return recorded;
  }
}

export const MB = 2 ** 20;

export interface MeasureSpec {
  id: string;
  label: string;
  options: Omit<LoadOptions, 'durationSeconds' | 'warmupSeconds'> & { warmupSeconds?: number };
}
