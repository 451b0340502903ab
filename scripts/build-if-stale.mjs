#!/usr/bin/env node
// Builds dist/ only when it is older than what it is built from, so every `npm start` after the
// first is ready in seconds instead of waiting 30-50 s for tsc. After a successful build a stamp
// (dist/.build-stamp) records when that build started; the build is fresh while nothing under
// src/, no tsconfig*.json and not package-lock.json is newer. A deleted or renamed source file
// counts too: it changes its directory's time. test/support/entrypoints.ts asks the same question.
//
// Usage: node scripts/build-if-stale.mjs [--force]   (`npm run build` forces; `npm start` does not)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const STAMP = join('dist', '.build-stamp');
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

/** The newest modification time of `dir`, everything in it, and itself. */
function newestIn(dir) {
  let newest = statSync(dir).mtimeMs;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** The newest modification time among the build's inputs under `root`. */
export function newestInputMtime(root = process.cwd()) {
  const files = INPUT_FILES.map((file) => join(root, file)).filter((path) => existsSync(path));
  return Math.max(newestIn(join(root, 'src')), ...files.map((path) => statSync(path).mtimeMs));
}

/** Whether dist/ under `root` was built, successfully, from the inputs as they are now. */
export function buildIsFresh(root = process.cwd()) {
  const stamp = join(root, STAMP);
  return existsSync(stamp) && statSync(stamp).mtimeMs > newestInputMtime(root);
}

/** Runs tsc on tsconfig.build.json under `root`; on success writes the stamp, dated when the build started. */
export function build(root = process.cwd()) {
  const startedAt = new Date();
  const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) return false;
  // Dated at the start, not the end: a source saved while tsc ran is newer, so the next start rebuilds.
  mkdirSync(join(root, 'dist'), { recursive: true });
  writeFileSync(join(root, STAMP), `${startedAt.toISOString()}\n`);
  utimesSync(join(root, STAMP), startedAt, startedAt);
  return true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const force = process.argv.includes('--force');
  if (!force && buildIsFresh()) {
    process.stderr.write('dist/ is up to date with src/; not rebuilding\n');
  } else {
    process.stderr.write(force ? 'building dist/\n' : 'building dist/ (src/ changed since the last build; about 30-50 s)\n');
    if (!build()) process.exit(1);
  }
}
