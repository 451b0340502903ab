import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildIsFresh } from '../../scripts/build-if-stale.mjs';

/**
 * Node arguments that start one of our programs (`main` or `ctl/main`): the compiled build when
 * it is fresh (the same test `npm start` makes before it rebuilds, scripts/build-if-stale.mjs),
 * else the TypeScript through tsx. A compiled start takes a fraction of a second; tsx recompiles
 * the program on every start.
 */
export function entrypoint(program: 'main' | 'ctl/main'): string[] {
  const built = join('dist', `${program}.js`);
  if (buildIsFresh() && existsSync(built)) return [built];
  return ['--import', 'tsx', join('src', `${program}.ts`)];
}
