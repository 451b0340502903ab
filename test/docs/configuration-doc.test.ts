import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

const CONFIG_DIR = 'src/platform/config';
/** `env.int('NAME'`, `env.duration('NAME'`, `env.fail('NAME'` …: every variable the config reads. */
const READ = /\benv\.(?:string|secret|parsed|int|oneOf|bool|duration|url|raw|list)\(\s*'([A-Z][A-Z0-9_]+)'/g;

test('every environment variable the configuration reads is documented in docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');
  const variables = new Set<string>();
  for (const file of readdirSync(CONFIG_DIR)) {
    for (const match of readFileSync(join(CONFIG_DIR, file), 'utf8').matchAll(READ)) variables.add(match[1]!);
  }
  assert.ok(variables.size > 20, `expected to find the configuration's variables, found ${variables.size}`);
  const missing = [...variables].filter((name) => !doc.includes(`\`${name}\``));
  assert.deepEqual(missing, [], `undocumented variables: ${missing.join(', ')}`);
});
