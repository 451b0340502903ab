import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Codes the token-service and platform can put in a response body. */
const CODE_PATTERNS = [
  /new HttpProblem\(\s*\d+,\s*'([a-z_]+)'/g, // problem+json codes
  /super\('([a-z_]+)'/g, // OAuthError subclasses
  /new OAuthError\('([a-z_]+)'/g,
  /\[\d+, '([a-z_]+)', '/g, // Fastify's client errors, mapped in platform/errors.ts
];

test('every error code the token-service can return is documented in docs/api.md', () => {
  const doc = readFileSync('docs/api.md', 'utf8');
  const codes = new Set<string>();
  for (const file of [...sources('src/token-service'), ...sources('src/platform')]) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of CODE_PATTERNS) for (const match of text.matchAll(pattern)) codes.add(match[1]!);
  }
  assert.ok(codes.size > 15, `expected to find the error codes, found ${codes.size}`);
  const missing = [...codes].filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, [], `undocumented error codes: ${missing.join(', ')}`);
});
