import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'auth-request.conf.template');
const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary (Debian package `nginx`), or undefined when it is not installed. */
export function findNginx(): string | undefined {
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found !== undefined) return found;
  const which = spawnSync('sh', ['-c', 'command -v nginx'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

export interface NginxServer {
  url: string;
  close(): Promise<void>;
}

function waitForPort(port: number, child: ChildProcess, errorLog: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`nginx exited with ${child.exitCode}: ${existsSync(errorLog) ? readFileSync(errorLog, 'utf8') : ''}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error('nginx did not start listening within 10 s'));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/**
 * Starts nginx in the foreground (no daemon, no master process, everything under a temp dir) with
 * the auth_request configuration pointing at `edgeUrl` and proxying to `upstreamUrl`.
 */
export async function startNginx(binary: string, edgeUrl: string, upstreamUrl: string): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-nginx-'));
  const port = await freePort();
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{EDGE}}', edgeUrl)
    .replaceAll('{{UPSTREAM}}', upstreamUrl);
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  const errorLog = join(dir, 'error.log');
  const child = spawn(binary, ['-p', dir, '-c', configPath, '-e', errorLog], { stdio: 'ignore' });
  try {
    await waitForPort(port, child, errorLog);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
