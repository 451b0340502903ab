import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { buildIsFresh } from '../../scripts/build-if-stale.mjs';

const SCRIPT = resolve('scripts/build-if-stale.mjs');

/** A project of two source files with this repository's tsc, so a build takes seconds. */
function fixtureProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'build-if-stale-'));
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'), 'dir');
  mkdirSync(join(root, 'src', 'lib'), { recursive: true });
  writeFileSync(join(root, 'src', 'main.ts'), "import { answer } from './lib/answer.js';\nexport const main = answer;\n");
  writeFileSync(join(root, 'src', 'lib', 'answer.ts'), 'export const answer = 42;\n');
  writeFileSync(join(root, 'src', 'lib', 'unused.ts'), 'export const unused = 0;\n');
  writeFileSync(join(root, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, types: [], skipLibCheck: true, outDir: 'dist' } }));
  writeFileSync(join(root, 'tsconfig.build.json'), JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src' }, include: ['src'] }));
  writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(root, 'package-lock.json'), '{}\n');
  return root;
}

function runScript(root: string): { status: number | null; stderr: string } {
  const result = spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

/** Marks `path` as changed a second after the stamp: no sleeping, no dependence on the clock. */
function touchAfterStamp(root: string, path: string): void {
  const after = new Date(statSync(join(root, 'dist', '.build-stamp')).mtimeMs + 1000);
  utimesSync(join(root, path), after, after);
}

describe('npm start builds only when the sources are newer than the build', () => {
  let root: string;
  before(() => {
    root = fixtureProject();
  });

  it('builds the first time, and a second start does not rebuild', () => {
    const first = runScript(root);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /building dist/);
    const built = statSync(join(root, 'dist', 'main.js')).mtimeMs;
    assert.ok(buildIsFresh(root));
    const second = runScript(root);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stderr, /up to date/);
    assert.equal(statSync(join(root, 'dist', 'main.js')).mtimeMs, built, 'dist/ was not rewritten');
  });

  it('is stale again when a source, a tsconfig or the lock file changes, or a source is deleted', () => {
    for (const input of ['src/lib/answer.ts', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json']) {
      assert.ok(buildIsFresh(root), `fresh before touching ${input}`);
      const stamp = join(root, 'dist', '.build-stamp');
      touchAfterStamp(root, input);
      assert.equal(buildIsFresh(root), false, `${input} changed after the build`);
      // Put the stamp past the change, as a rebuild would, for the next input.
      const later = new Date(statSync(join(root, input)).mtimeMs + 1000);
      utimesSync(stamp, later, later);
    }
    rmSync(join(root, 'src', 'lib', 'unused.ts'));
    touchAfterStamp(root, 'src/lib');
    assert.equal(buildIsFresh(root), false, 'a deleted source changes its directory');
  });

  it('a failed build stays stale, so the next start tries again', () => {
    writeFileSync(join(root, 'src', 'lib', 'answer.ts'), 'export const answer: number = "not a number";\n');
    const result = runScript(root);
    assert.notEqual(result.status, 0);
    assert.equal(buildIsFresh(root), false);
  });

  it('is what npm start runs, and npm run build and the tests share it', () => {
    const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
    assert.equal(scripts.prestart, 'node scripts/build-if-stale.mjs');
    assert.equal(scripts.build, 'node scripts/build-if-stale.mjs --force', 'a build always writes the stamp that makes it fresh');
    assert.match(readFileSync('test/support/entrypoints.ts', 'utf8'), /from '\.\.\/\.\.\/scripts\/build-if-stale\.mjs'/);
  });
});
