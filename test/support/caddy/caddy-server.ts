import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../free-port.js';
import { stopProcess, waitForPort } from '../listening-process.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'forward-auth.Caddyfile.template');

/** The caddy binary (Debian package `caddy`), or undefined when it is not installed. */
export function findCaddy(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v caddy'], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

export interface CaddyServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts Caddy in the foreground with the forward_auth configuration pointing at `edgeUrl` and
 * proxying to `upstreamUrl`: its own Caddyfile, port, storage and config directories under a temp
 * dir, the admin endpoint off, so it never touches a system-wide Caddy.
 */
export async function startCaddy(binary: string, edgeUrl: string, upstreamUrl: string): Promise<CaddyServer> {
  const dir = mkdtempSync(join(tmpdir(), 'edge-caddy-'));
  const port = await freePort();
  const config = readFileSync(TEMPLATE, 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{EDGE}}', edgeUrl)
    .replaceAll('{{UPSTREAM}}', upstreamUrl);
  const configPath = join(dir, 'Caddyfile');
  writeFileSync(configPath, config);
  const log = join(dir, 'caddy.log');
  const logFd = openSync(log, 'w');
  const child = spawn(binary, ['run', '--config', configPath, '--adapter', 'caddyfile'], {
    // Caddy writes its autosave and data under these; keep them in the temp dir.
    env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
    stdio: ['ignore', 'ignore', logFd],
  });
  closeSync(logFd);
  try {
    await waitForPort('caddy', port, child, log);
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
