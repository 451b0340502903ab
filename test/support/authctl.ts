import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { entrypoint } from './entrypoints.js';

const run = promisify(execFile);

export interface AuthctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs authctl as an operator on the services' machine would: with `env` and nothing else of the
 * test runner's environment but what starting Node needs, so a stray variable cannot make it
 * find the platform for the wrong reason.
 */
export async function runAuthctl(env: Record<string, string>, ...args: string[]): Promise<AuthctlResult> {
  const base = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'NODE_ENV'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  try {
    const { stdout, stderr } = await run(process.execPath, [...entrypoint('ctl/main'), ...args], { env: { ...base, ...env } });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}
