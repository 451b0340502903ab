import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findOnPath, startFromTemplate, type ListeningProcess } from '../listening-process.js';

const TEMPLATE = join(dirname(fileURLToPath(import.meta.url)), 'auth-request.conf.template');
const CANDIDATES = ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx'];

/** The nginx binary (Debian package `nginx`), or undefined when it is not installed. */
export function findNginx(): string | undefined {
  return CANDIDATES.find((path) => existsSync(path)) ?? findOnPath('nginx');
}

export type NginxServer = ListeningProcess;

/**
 * Starts nginx from `template` in the foreground (no daemon, no master process, everything under
 * a temp dir named from `dirPrefix`), filling `values` into it.
 */
export function startNginxFrom(
  binary: string,
  template: string,
  dirPrefix: string,
  values: Record<string, string>,
): Promise<NginxServer> {
  return startFromTemplate({
    name: 'nginx',
    dirPrefix,
    template,
    configName: 'nginx.conf',
    values,
    spawn(configPath, dir) {
      const log = join(dir, 'error.log');
      const child = spawn(binary, ['-p', dir, '-c', configPath, '-e', log], { stdio: 'ignore' });
      return { child, log };
    },
  });
}

/** Starts nginx with the auth_request configuration pointing at `edgeUrl` and proxying to `upstreamUrl`. */
export function startNginx(binary: string, edgeUrl: string, upstreamUrl: string): Promise<NginxServer> {
  return startNginxFrom(binary, TEMPLATE, 'edge-nginx-', { EDGE: edgeUrl, UPSTREAM: upstreamUrl });
}
