import autocannon, { type Options, type Request, type Result } from 'autocannon';
import { readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import type { ServerProcess } from './child.js';

/** utime + stime of a process, in seconds (Linux /proc; clock ticks are 100 Hz). */
function cpuSeconds(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

export interface LoadOptions {
  url: string;
  /** Path and query on `url`. */
  path: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Rotated through, one per request, as `Authorization: Bearer <token>`. */
  tokens?: readonly string[];
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Fixed total request rate, paced open loop (see `paced`); absent means autocannon as fast as the server goes. */
  rate?: number;
  /** Processes whose resident memory is sampled during the measured run. */
  watch?: readonly ServerProcess[];
}

export interface LoadResult {
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds, from microsecond timings (autocannon's own histogram rounds to whole ms). */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  total: number;
  errors: number;
  non2xx: number;
  /** Peak RSS per watched process, bytes. */
  peakRss: Record<string, number>;
  /**
   * CPU each watched process and the load generator used, in cores (1 = a whole core). A server
   * well under 1 at maximum throughput was held back by the load generator or by other work on
   * a shared machine, not by itself.
   */
  cpu: Record<string, number>;
  /** CPU of every watched server process together, in cores. */
  serverCores: number;
  /**
   * Requests per second of server CPU: what the servers would answer with one whole core. On a
   * machine shared with other work the servers get only a share of their core, and that share
   * changes from run to run; this figure does not depend on it, so throughput comparisons use it.
   */
  requestsPerServerCore: number;
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

function requestsFor(options: LoadOptions): Options['requests'] {
  const base: Request = {
    method: options.method ?? 'GET',
    path: options.path,
    headers: options.headers ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
  };
  const tokens = options.tokens;
  if (tokens === undefined || tokens.length === 0) return [base];
  const headers = options.headers ?? {};
  // One token: a request autocannon builds once, the cheapest load there is. Many: a request
  // rebuilt per token, which costs the load generator more; comparisons keep like with like.
  if (tokens.length === 1) return [{ ...base, headers: { ...headers, authorization: `Bearer ${tokens[0]!}` } }];
  let next = 0;
  return [
    {
      ...base,
      setupRequest: (request) => {
        const token = tokens[next]!;
        next = next + 1 === tokens.length ? 0 : next + 1;
        request.headers = { ...headers, authorization: `Bearer ${token}` };
        return request;
      },
    },
  ];
}

type Summary = Pick<Result, '2xx' | 'errors' | 'timeouts' | 'non2xx' | 'duration'> & { requests: { total: number } };
type RunOutput = { result: Summary; latencies: Float64Array; peakRss: Record<string, number>; cpu: Record<string, number> };

/** Peak RSS and CPU of the watched processes (and this one) over a run. */
function watchRun(options: LoadOptions, record: boolean): { finish(): Pick<RunOutput, 'peakRss' | 'cpu'> } {
  const startedAt = performance.now();
  const loadCpuStart = process.cpuUsage();
  const serverCpuStart = new Map((options.watch ?? []).map((s) => [s.name, cpuSeconds(s.pid)]));
  const peakRss: Record<string, number> = {};
  const sample = () => {
    for (const server of options.watch ?? []) {
      const rss = server.rss();
      if (rss !== undefined && rss > (peakRss[server.name] ?? 0)) peakRss[server.name] = rss;
    }
  };
  const sampler = record ? setInterval(sample, 200) : undefined;
  return {
    finish() {
      if (sampler !== undefined) clearInterval(sampler);
      sample();
      const wall = (performance.now() - startedAt) / 1000;
      const loadCpu = process.cpuUsage(loadCpuStart);
      const cpu: Record<string, number> = { 'load generator': (loadCpu.user + loadCpu.system) / 1e6 / wall };
      for (const server of options.watch ?? []) {
        const [before, after] = [serverCpuStart.get(server.name), cpuSeconds(server.pid)];
        if (before !== undefined && after !== undefined) cpu[server.name] = (after - before) / wall;
      }
      return { peakRss, cpu };
    },
  };
}

/**
 * A fixed request rate, open loop: request i is due at start + i/rate whatever happened to the
 * ones before, spread over `connections` keep-alive connections, and its latency counts from when
 * it was due (so a stall is not hidden: no coordinated omission). autocannon's `overallRate` is not
 * used for this: each of its connections sends its share of the second back to back and then
 * waits for the next second, so "1000 req/s" is really bursts at full speed, and the latency it
 * shows is queueing inside the burst.
 */
function paced(options: LoadOptions, durationSeconds: number, record: boolean): Promise<RunOutput> {
  const rate = options.rate!;
  const watch = watchRun(options, record);
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const url = new URL(options.url);
  const tokens = options.tokens ?? [];
  let latencies = new Float64Array(Math.ceil(rate * durationSeconds) + 16);
  let count = 0;
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let sent = 0;
  let completed = 0;
  const total = Math.floor(rate * durationSeconds);
  const start = performance.now();
  return new Promise((resolve) => {
    let done = false;
    // Requests still out 10 s after the last was due count as errors.
    const deadline = setTimeout(() => {
      errors += total - completed;
      finish();
    }, durationSeconds * 1000 + 10_000);
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(deadline);
      agent.destroy();
      resolve({
        result: { '2xx': ok, errors, timeouts: 0, non2xx, duration: (performance.now() - start) / 1000, requests: { total: completed } },
        latencies: latencies.subarray(0, count),
        ...watch.finish(),
      });
    };
    const fire = (due: number) => {
      const token = tokens.length === 0 ? undefined : tokens[sent % tokens.length]!;
      const request = httpRequest(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: options.method ?? 'GET',
          path: options.path,
          headers: { ...options.headers, ...(token === undefined ? {} : { authorization: `Bearer ${token}` }) },
        },
        (response) => {
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            if (status >= 200 && status < 300) {
              ok += 1;
              if (record) {
                if (count === latencies.length) {
                  const grown = new Float64Array(latencies.length * 2);
                  grown.set(latencies);
                  latencies = grown;
                }
                latencies[count++] = performance.now() - due;
              }
            } else {
              non2xx += 1;
            }
            if (++completed === total) finish();
          });
        },
      );
      request.on('error', () => {
        errors += 1;
        if (++completed === total) finish();
      });
      request.end(options.body);
      sent += 1;
    };
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      while (sent < due) fire(start + (sent / rate) * 1000);
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
}

function once(options: LoadOptions, durationSeconds: number, record: boolean): Promise<RunOutput> {
  const watch = watchRun(options, record);
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: options.url,
        connections: options.connections,
        duration: durationSeconds,
        requests: requestsFor(options),
        timeout: 10,
      },
      (error, result) => {
        const watched = watch.finish();
        if (error) return reject(error);
        resolve({ result, latencies: latencies.subarray(0, count), ...watched });
      },
    );
    if (record) {
      instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
        if (statusCode < 200 || statusCode >= 300) return;
        if (count === latencies.length) {
          const grown = new Float64Array(latencies.length * 2);
          grown.set(latencies);
          latencies = grown;
        }
        latencies[count++] = responseTime;
      });
    }
  });
}

/** A warm-up, then the measured run. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const run = options.rate === undefined ? once : paced;
  if (options.warmupSeconds > 0) await run(options, options.warmupSeconds, false);
  const { result, latencies, peakRss, cpu } = await run(options, options.durationSeconds, true);
  const sorted = latencies.slice().sort();
  let sum = 0;
  for (const value of sorted) sum += value;
  const ok = result['2xx'];
  const requestsPerSecond = ok / (result.duration > 0 ? result.duration : options.durationSeconds);
  const serverCores = Object.entries(cpu).reduce((sum, [name, cores]) => (name === 'load generator' ? sum : sum + cores), 0);
  return {
    requestsPerSecond,
    serverCores,
    requestsPerServerCore: serverCores > 0 ? requestsPerSecond / serverCores : NaN,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    meanMs: sorted.length === 0 ? NaN : sum / sorted.length,
    total: result.requests.total,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    peakRss,
    cpu,
  };
}
