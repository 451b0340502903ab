import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.js';
import { stopProcess, waitForPort } from '../listening-process.js';
import type { NginxServer } from './nginx-server.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'forwarding-proxy.conf.template');

/**
 * Starts nginx as a reverse proxy to `upstreamUrl` that appends the peer's address to
 * X-Forwarded-For (`$proxy_add_x_forwarded_for`); chain two for a two-hop path.
 */
export async function startForwardingProxy(binary: string, upstreamUrl: string): Promise<NginxServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-nginx-hop-'));
  const port = await freePort();
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{UPSTREAM}}', upstreamUrl));
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
