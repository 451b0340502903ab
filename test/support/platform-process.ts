import { spawn, type ChildProcess } from 'node:child_process';
import { entrypoint } from './entrypoints.js';
import { stopProcess } from './listening-process.js';

export interface StartedPlatform {
  /** What `npm start` printed once it was listening: the banner with the demo curls. */
  banner: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** The last line of the banner, in every version of it. */
const BANNER_END = /^Admin token: .*$/m;

/** `main.js` (all services, as `npm start` runs it) with `env` only; resolves once it printed its banner. */
export function startPlatform(env: Record<string, string>, timeoutMs = 90_000): Promise<StartedPlatform> {
  const base = Object.fromEntries(['PATH', 'HOME', 'TMPDIR', 'NODE_ENV'].flatMap((name) => (process.env[name] === undefined ? [] : [[name, process.env[name]!]])));
  const child = spawn(process.execPath, entrypoint('main'), { env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString('utf8')));
  return new Promise((resolve, reject) => {
    const fail = (reason: string) => {
      clearInterval(poll);
      child.kill('SIGKILL');
      reject(new Error(`${reason}\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    };
    const timer = setTimeout(() => fail(`main.js printed no banner within ${timeoutMs} ms`), timeoutMs);
    const poll = setInterval(() => {
      if (BANNER_END.test(stdout)) {
        clearInterval(poll);
        clearTimeout(timer);
        const banner = stdout.slice(Math.max(0, stdout.search(/^auth-platform /m)));
        resolve({ banner, child, stop: () => stopProcess(child) });
      } else if (child.exitCode !== null) {
        clearTimeout(timer);
        fail(`main.js exited with ${child.exitCode}`);
      }
    }, 50);
  });
}
