import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath, startFromTemplate, type ListeningProcess } from '../listening-process.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'forward-auth.Caddyfile.template');

/** The caddy binary (Debian package `caddy`), or undefined when it is not installed. */
export function findCaddy(): string | undefined {
  return findOnPath('caddy');
}

export type CaddyServer = ListeningProcess;

/**
 * Starts Caddy in the foreground with the forward_auth configuration pointing at `edgeUrl` and
 * proxying to `upstreamUrl`: its own Caddyfile, port, storage and config directories under a temp
 * dir, the admin endpoint off, so it never touches a system-wide Caddy.
 */
export function startCaddy(binary: string, edgeUrl: string, upstreamUrl: string): Promise<CaddyServer> {
  return startFromTemplate({
    name: 'caddy',
    dirPrefix: 'edge-caddy-',
    template: TEMPLATE,
    configName: 'Caddyfile',
    values: { EDGE: edgeUrl, UPSTREAM: upstreamUrl },
    spawn(configPath, dir) {
      const log = join(dir, 'caddy.log');
      const logFd = openSync(log, 'w');
      const child = spawn(binary, ['run', '--config', configPath, '--adapter', 'caddyfile'], {
        // Caddy writes its autosave and data under these; keep them in the temp dir.
        env: { ...process.env, HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
        stdio: ['ignore', 'ignore', logFd],
      });
      closeSync(logFd);
      return { child, log };
    },
  });
}
