import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerProcess } from './child.js';
import type { BenchContext } from './context.js';
import { freePort } from '../../test/support/free-port.js';

export { findNginx } from '../../test/support/nginx/nginx-server.js';

const hostPort = (url: string) => new URL(url).host;

/** nginx (one worker, foreground, everything in a temp dir) with auth_request to `edgeUrl`, proxying to `upstreamUrl`. */
export async function startNginx(ctx: BenchContext, binary: string, edgeUrl: string, upstreamUrl: string): Promise<{ server: ServerProcess; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-nginx-'));
  const port = await freePort();
  const config = readFileSync(join(ctx.root, 'bench', 'nginx', 'auth-request.conf.template'), 'utf8')
    .replaceAll('{{DIR}}', dir)
    .replaceAll('{{PORT}}', String(port))
    .replaceAll('{{EDGE}}', hostPort(edgeUrl))
    .replaceAll('{{UPSTREAM}}', hostPort(upstreamUrl));
  const configPath = join(dir, 'nginx.conf');
  writeFileSync(configPath, config);
  try {
    const server = await ctx.process('nginx', binary, ['-p', dir, '-c', configPath, '-e', join(dir, 'error.log')], {
      readyWhenListening: { port, info: { url: `http://127.0.0.1:${port}` } },
      timeoutMs: 15_000,
    });
    return {
      server,
      async close() {
        await ctx.stop(server);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
