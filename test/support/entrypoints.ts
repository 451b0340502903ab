import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestSourceMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/**
 * Node arguments that start one of our programs (`main` or `ctl/main`): the compiled build when
 * `npm test` made one that is newer than every source file, else the TypeScript through tsx.
 * A compiled start takes a fraction of a second; tsx recompiles the program on every start.
 */
export function entrypoint(program: 'main' | 'ctl/main'): string[] {
  const built = join('dist', `${program}.js`);
  try {
    if (statSync(built).mtimeMs > newestSourceMtime('src')) return [built];
  } catch {
    // no build: fall through
  }
  return ['--import', 'tsx', join('src', `${program}.ts`)];
}
