import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Transpiles `src/` and `bench/` to plain JavaScript under `bench/.build/`, one file at a time
 * (no type check: `npm run typecheck` does that). The servers under test then run on plain
 * `node`, as `npm start` does, with no loader thread or esbuild process inflating their memory.
 * Takes a second or two where a full `tsc` build takes close to a minute on a busy 2-core box.
 */
export function transpileForBench(root: string): string {
  const out = join(root, 'bench', '.build');
  rmSync(out, { recursive: true, force: true });
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    verbatimModuleSyntax: true,
    isolatedModules: true,
    sourceMap: false,
  };
  for (const dir of ['src', 'bench']) {
    for (const file of walk(join(root, dir))) {
      const rel = relative(root, file);
      if (rel.startsWith(join('bench', '.build')) || rel.startsWith(join('bench', 'types')) || rel.endsWith('.d.ts') || rel.endsWith('.test.ts')) continue;
      const output = ts.transpileModule(readFileSync(file, 'utf8'), { compilerOptions: options, fileName: file });
      const target = join(out, rel.replace(/\.ts$/, '.js'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, output.outputText);
    }
  }
  return out;
}

function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules' && name !== '.build') yield* walk(path);
    } else if (name.endsWith('.ts')) {
      yield path;
    }
  }
}
