import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.js';
import { stopProcess, waitForPort } from '../listening-process.js';

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
    await waitForPort('nginx', port, child, errorLog);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
