import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { entrypoint } from './entrypoints.js';
import { startTestTokenService, type TestTokenService } from './token-service.js';

const run = promisify(execFile);

export interface AuthctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A generous bound on one command: a hung authctl fails its test instead of hanging the run. */
const COMMAND_DEADLINE_MS = 60_000;

/**
 * Runs authctl as an operator on the services' machine would: with `env` and nothing else of the
 * test runner's environment but what starting Node needs, so a stray variable cannot make it
 * find the platform for the wrong reason.
 */
export async function runAuthctl(env: Record<string, string>, ...args: string[]): Promise<AuthctlResult> {
  return runAuthctlTyping(env, '', ...args);
}

/** The same, with `input` typed at its prompt (an unseal key share), then end of input. */
export async function runAuthctlTyping(env: Record<string, string>, input: string, ...args: string[]): Promise<AuthctlResult> {
  const base = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'NODE_ENV'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  const running = run(process.execPath, [...entrypoint('ctl/main'), ...args], { env: { ...base, ...env }, timeout: COMMAND_DEADLINE_MS, killSignal: 'SIGKILL' });
  running.child.stdin?.end(input);
  try {
    const { stdout, stderr } = await running;
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; killed?: boolean; stdout: string; stderr: string };
    if (failed.killed) return { code: -1, stdout: failed.stdout, stderr: `${failed.stderr}\n(killed after ${COMMAND_DEADLINE_MS / 1000} s)` };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** A token-service for authctl to operate, and the environment an operator would give authctl for it (no edge). */
export async function startAuthctlTarget(): Promise<{ ts: TestTokenService; env: Record<string, string> }> {
  const ts = await startTestTokenService();
  return { ts, env: { AUTH_ADMIN_TOKEN: ts.adminToken, AUTHCTL_URL: ts.internalUrl, AUTHCTL_EDGE_URL: 'http://127.0.0.1:9' } };
}
