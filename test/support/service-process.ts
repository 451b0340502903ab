import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestSchema, TEST_DATABASE_URL } from './databases.js';
import { entrypoint } from './entrypoints.js';

type Exit = { code: number | null; signal: NodeJS.Signals | null };

export interface ServiceProcess {
  child: ChildProcess;
  /** Settles when the process has exited and its output is all read. */
  closed: Promise<Exit>;
  /** Everything written to stderr so far (stdout too, unless the test holds the stdout pipe itself). */
  stderr(): string;
  stdout(): string;
}

/**
 * `main.js <role>` as its own process, as an operator starts it. The environment is `env` alone
 * (plus PATH and a fresh AUTH_DATA_DIR), so nothing from the caller's shell (DATABASE_URL,
 * SECRETS_PROVIDER, ...) changes what the test means.
 */
export function spawnService(role: 'all' | 'token-service' | 'edge', env: Record<string, string>, options: { readStdout?: boolean } = {}): ServiceProcess {
  const child = spawn(process.execPath, [...entrypoint('main'), role], {
    env: { PATH: process.env.PATH ?? '', AUTH_DATA_DIR: mkdtempSync(join(tmpdir(), 'auth-service-')), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  if (options.readStdout !== false) child.stdout!.on('data', (chunk: Buffer) => out.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => err.push(chunk.toString()));
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, closed, stderr: () => err.join(''), stdout: () => out.join('') };
}

/**
 * A DATABASE_URL on a throwaway PostgreSQL schema. A token-service process opens there in
 * seconds; the embedded PGlite's first start takes up to a minute on a loaded machine.
 */
export async function throwawayDatabaseUrl(): Promise<{ url: string; drop(): Promise<void> }> {
  const { schema, drop } = await createTestSchema();
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return { url: url.toString(), drop };
}

/**
 * How `child` exited. A bounded wait, not a timing assertion: the deadline is generous, and a
 * process still running at it fails the test (and is killed) instead of hanging the run.
 */
export async function exitOf(service: ServiceProcess, what: string, deadlineMs = 60_000): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      service.child.kill('SIGKILL');
      reject(new Error(`${what}: still running after ${deadlineMs / 1000} s (killed)`));
    }, deadlineMs);
  });
  try {
    return await Promise.race([service.closed, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `${url}/healthz` answers 200; fails if the process exits first or is not up within the (generous) deadline. */
export async function untilServing(service: ServiceProcess, url: string, deadlineMs = 60_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) throw new Error(`exited before serving: ${service.stderr()}`);
    if ((await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`not serving ${url} within ${deadlineMs / 1000} s: ${service.stderr()}`);
}

/** Starts `main.js <role>` with a broken `env`, waits (bounded) for it to give up, and returns its stderr lines; it must exit non-zero. */
export async function failedStart(role: 'token-service' | 'edge', env: Record<string, string>): Promise<string[]> {
  const service = spawnService(role, env);
  const { code } = await exitOf(service, `main.js ${role} with a broken ${Object.keys(env).join(', ')}`);
  if (code === 0) throw new Error(`main.js ${role} exited 0; it must exit non-zero. stderr: ${service.stderr()}`);
  return service.stderr().split('\n').filter((line) => line.trim() !== '');
}
