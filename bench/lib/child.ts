import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { onServerCore, type Placement } from './cpus.js';

/** The line a bench server prints once it listens, followed by a JSON object (at least `url`). */
export const READY_MARKER = 'BENCH_READY ';

export interface ServerProcess<Info extends { url: string } = { url: string }> {
  name: string;
  pid: number;
  info: Info;
  /** Resident set size now, in bytes (Linux /proc); undefined once the process is gone. */
  rss(): number | undefined;
  close(): Promise<void>;
}

export interface SpawnOptions {
  placement: Placement;
  env?: Record<string, string>;
  /** Extra node flags, e.g. `--cpu-prof`. */
  nodeFlags?: string[];
  timeoutMs?: number;
  /** Reads readiness from a stdout line; by default the `BENCH_READY {json}` line. */
  ready?: (line: string) => Record<string, unknown> | undefined;
  /** For servers that print nothing (nginx): ready when this port accepts, with `info` as given. */
  readyWhenListening?: { port: number; info: { url: string } };
}

function readyMarkerLine(line: string): Record<string, unknown> | undefined {
  return line.startsWith(READY_MARKER) ? (JSON.parse(line.slice(READY_MARKER.length)) as Record<string, unknown>) : undefined;
}

export function rssOf(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Starts a compiled bench server (`bench/.build/bench/servers/<name>.js`) on the servers' core. */
export function startNodeServer<Info extends { url: string }>(script: string, name: string, options: SpawnOptions): Promise<ServerProcess<Info>> {
  const args = [...(options.nodeFlags ?? []), script];
  return startProcess<Info>(name, process.execPath, args, options);
}

export function startProcess<Info extends { url: string }>(
  name: string,
  command: string,
  args: string[],
  options: SpawnOptions,
): Promise<ServerProcess<Info>> {
  const [cmd, argv] = onServerCore(options.placement, command, args);
  const child = spawn(cmd, argv, {
    // A clean environment: nothing from the caller's shell (DATABASE_URL, REDIS_URL, LOG_LEVEL...)
    // changes what is measured.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', NODE_ENV: 'production', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr.push(chunk.toString());
    if (stderr.length > 50) stderr.shift();
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${name} did not report ready within ${options.timeoutMs ?? 60_000} ms: ${stderr.join('')}`));
    }, options.timeoutMs ?? 60_000);
    const lines = createInterface({ input: child.stdout! });
    let ready = false;
    const listening = options.readyWhenListening;
    if (listening !== undefined) {
      const attempt = () => {
        if (ready || child.exitCode !== null) return;
        const socket = connect(listening.port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          if (ready) return;
          ready = true;
          clearTimeout(timer);
          resolve(handle(name, child, listening.info as Info));
        });
        socket.once('error', () => {
          socket.destroy();
          setTimeout(attempt, 25);
        });
      };
      attempt();
    }
    lines.on('line', (line) => {
      if (ready) return;
      const info = (options.ready ?? readyMarkerLine)(line);
      if (info === undefined) return;
      ready = true;
      clearTimeout(timer);
      resolve(handle(name, child, info as Info));
    });
    child.once('exit', (code, signal) => {
      if (ready) return;
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready: ${stderr.join('')}`));
    });
  });
}

function handle<Info extends { url: string }>(name: string, child: ChildProcess, info: Info): ServerProcess<Info> {
  const pid = child.pid!;
  return {
    name,
    pid,
    info,
    rss: () => (child.exitCode === null ? rssOf(pid) : undefined),
    close: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
        child.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

/** For the server side: announce readiness to the harness. */
export function announceReady(info: { url: string } & Record<string, unknown>): void {
  process.stdout.write(`${READY_MARKER}${JSON.stringify(info)}\n`);
}

/** For the server side: close cleanly on SIGTERM. */
export function closeOnTerm(close: () => Promise<unknown>): void {
  process.once('SIGTERM', () => {
    close().then(() => process.exit(0), () => process.exit(1));
  });
}
