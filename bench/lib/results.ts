import type { LoadResult } from './load.js';

export interface Measurement extends LoadResult {
  id: string;
  scenario: string;
  label: string;
  connections: number;
  /** Fixed rate asked for, or undefined at maximum throughput. */
  rate: number | undefined;
  /** Every round's figures; the measurement itself is the best round. */
  rounds?: Array<Pick<LoadResult, 'requestsPerSecond' | 'requestsPerServerCore' | 'p50Ms' | 'p99Ms' | 'errors' | 'non2xx' | 'cpu'>>;
}

/** One figure beside its baseline, measured in the same run. */
export interface Comparison {
  id: string;
  scenario: string;
  label: string;
  figure: { name: string; value: number; unit: string };
  baseline: { name: string; value: number; unit: string };
  /** figure / baseline, or figure − baseline for `kind: 'difference'`. */
  ratio: number;
  kind: 'ratio' | 'difference';
  goal?: { text: string; met: boolean };
}

export interface Skipped {
  scenario: string;
  what: string;
  reason: string;
}

export interface BenchResults {
  date: string;
  node: string;
  platform: string;
  cpuModel: string;
  cores: number;
  pinned: boolean;
  placement: string;
  durationSeconds: number;
  warmupSeconds: number;
  rounds: number;
  wallSeconds: number;
  measurements: Measurement[];
  comparisons: Comparison[];
  memory: Array<{ service: string; idleMb: number; underLoadMb: number; during: string; goal?: { text: string; met: boolean } }>;
  algorithms: Array<{ alg: string; library: string; signPerSecond: number; verifyPerSecond: number }>;
  secretChecks: Array<{ method: string; perSecond: number }>;
  skipped: Skipped[];
}

const fmt = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a';

function formatValue(value: number, unit: string): string {
  if (unit.endsWith('/s') || unit.endsWith('per server core')) return `${fmt(value)} ${unit}`;
  if (unit === 'ms') return `${fmt(value, 2)} ms`;
  if (unit === 'MB') return `${fmt(value, 1)} MB`;
  return `${fmt(value, 2)} ${unit}`;
}

function formatRatio(c: Comparison): string {
  return c.kind === 'ratio' ? `${fmt(c.ratio * 100, 0)}%` : `${c.ratio >= 0 ? '+' : ''}${fmt(c.ratio, 2)} ms`;
}

export function toMarkdown(r: BenchResults): string {
  const lines: string[] = [];
  lines.push(`# Benchmark results`, '');
  lines.push(
    `${r.date} · Node ${r.node} · ${r.platform} · ${r.cpuModel} · ${r.cores} cores · ${r.placement} · ` +
      `${r.durationSeconds} s per measurement after ${r.warmupSeconds} s warm-up, best of ${r.rounds} interleaved rounds · whole run ${fmt(r.wallSeconds)} s`,
    '',
  );
  lines.push('## Goals', '', '| goal | figure | baseline | ratio | met |', '|---|---|---|---|---|');
  for (const c of r.comparisons.filter((c) => c.goal !== undefined)) {
    lines.push(`| ${c.goal!.text} | ${c.figure.name}: ${formatValue(c.figure.value, c.figure.unit)} | ${c.baseline.name}: ${formatValue(c.baseline.value, c.baseline.unit)} | ${formatRatio(c)} | ${c.goal!.met ? 'yes' : '**no**'} |`);
  }
  for (const m of r.memory.filter((m) => m.goal !== undefined)) {
    lines.push(`| ${m.goal!.text} | ${m.service} peak RSS under load: ${fmt(m.underLoadMb, 1)} MB | limit: 150 MB | ${fmt((m.underLoadMb / 150) * 100, 0)}% | ${m.goal!.met ? 'yes' : '**no**'} |`);
  }
  lines.push('', '## Comparisons (same run)', '', '| scenario | comparison | figure | baseline | ratio |', '|---|---|---|---|---|');
  for (const c of r.comparisons) {
    lines.push(`| ${c.scenario} | ${c.label} | ${c.figure.name}: ${formatValue(c.figure.value, c.figure.unit)} | ${c.baseline.name}: ${formatValue(c.baseline.value, c.baseline.unit)} | ${formatRatio(c)} |`);
  }
  lines.push('', '## Measurements', '', '| scenario | server | connections | rate | req/s | req/s per server core | p50 | p99 | errors / non-2xx | CPU used (cores) |', '|---|---|---|---|---|---|---|---|---|---|');
  for (const m of r.measurements) {
    lines.push(`| ${m.scenario} | ${m.label} | ${m.connections} | ${m.rate === undefined ? 'max' : fmt(m.rate)} | ${fmt(m.requestsPerSecond)} | ${fmt(m.requestsPerServerCore)} | ${fmt(m.p50Ms, 2)} ms | ${fmt(m.p99Ms, 2)} ms | ${m.errors} / ${m.non2xx} | ${Object.entries(m.cpu).map(([n, c]) => `${n} ${fmt(c, 2)}`).join(', ')} |`);
  }
  lines.push('', '## Memory (resident set size)', '', '| service | idle | peak under load | during |', '|---|---|---|---|');
  for (const m of r.memory) lines.push(`| ${m.service} | ${fmt(m.idleMb, 1)} MB | ${fmt(m.underLoadMb, 1)} MB | ${m.during} |`);
  if (r.algorithms.length > 0) {
    lines.push('', '## Raw signature rates (one thread, servers\' core)', '', '| algorithm | library | signs/s | verifies/s |', '|---|---|---|---|');
    for (const a of r.algorithms) lines.push(`| ${a.alg} | ${a.library} | ${fmt(a.signPerSecond)} | ${fmt(a.verifyPerSecond)} |`);
  }
  if (r.secretChecks.length > 0) {
    lines.push('', '## Client secret checks (one thread, servers\' core)', '', '| method | checks/s |', '|---|---|');
    for (const c of r.secretChecks) lines.push(`| ${c.method} | ${fmt(c.perSecond, c.perSecond < 100 ? 1 : 0)} |`);
  }
  if (r.skipped.length > 0) {
    lines.push('', '## Skipped', '');
    for (const s of r.skipped) lines.push(`- ${s.scenario}: ${s.what} — ${s.reason}`);
  }
  return `${lines.join('\n')}\n`;
}
