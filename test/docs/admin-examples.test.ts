import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

interface Example {
  method: string;
  path: string;
  body: unknown;
}

/** The requests of docs/api.md's "Admin requests by example", in order: `METHOD /path` lines in ```http blocks, each followed by its JSON body, if any. */
function documentedExamples(): Example[] {
  const doc = readFileSync('docs/api.md', 'utf8');
  const start = doc.indexOf('### Admin requests by example');
  assert.ok(start >= 0, 'docs/api.md has a section "Admin requests by example"');
  const section = doc.slice(start, doc.indexOf('\n### ', start + 1));
  const examples: Example[] = [];
  for (const [, block] of section.matchAll(/```http\n([\s\S]*?)```/g)) {
    let current: { method: string; path: string; body: string[] } | undefined;
    const finish = () => current && examples.push({ method: current.method, path: current.path, body: current.body.join('\n').trim() === '' ? undefined : JSON.parse(current.body.join('\n')) });
    for (const line of block!.split('\n')) {
      const request = /^(GET|POST|PUT|PATCH|DELETE) (\/\S*)$/.exec(line);
      if (request) {
        finish();
        current = { method: request[1]!, path: request[2]!, body: [] };
      } else {
        current?.body.push(line);
      }
    }
    finish();
  }
  return examples;
}

/** Every admin route the token-service registers, as `METHOD` and a pattern for concrete paths. */
function adminRoutes(): Array<{ route: string; method: string; pattern: RegExp }> {
  const dir = 'src/token-service/routes/admin';
  return readdirSync(dir).flatMap((file) =>
    [...readFileSync(join(dir, file), 'utf8').matchAll(/app\.(get|post|put|patch|delete)\(\s*'(\/admin[^']*)'/g)].map(([, method, path]) => ({
      route: `${method!.toUpperCase()} ${path}`,
      method: method!.toUpperCase(),
      pattern: new RegExp(`^${path!.replace(/:[A-Za-z]+/g, '[^/?]+')}(\\?.*)?$`),
    })),
  );
}

describe('docs/api.md shows every admin request by example', () => {
  const examples = documentedExamples();
  const routes = adminRoutes();
  let ts: TestTokenService;
  before(async () => {
    ts = await startTestTokenService();
  });
  after(async () => {
    await ts?.close();
  });

  it('has an example of every admin route, and no example of a route that does not exist', () => {
    assert.ok(routes.length >= 10, `expected to find the admin routes, found ${routes.length}`);
    const matches = (route: (typeof routes)[number], example: Example) => route.method === example.method && route.pattern.test(example.path);
    const undocumented = routes.filter((route) => !examples.some((example) => matches(route, example))).map((r) => r.route);
    assert.deepEqual(undocumented, [], `admin routes without an example in docs/api.md: ${undocumented.join(', ')}`);
    const unknown = examples.filter((example) => !routes.some((route) => matches(route, example))).map((e) => `${e.method} ${e.path}`);
    assert.deepEqual(unknown, [], `examples of no admin route: ${unknown.join(', ')}`);
  });

  it('every example, sent as documented, is accepted', async () => {
    for (const example of examples) {
      const response = await ts.admin(example.method, example.path, example.body);
      // The family in the example does not exist in a fresh service; its shape is what is checked.
      const accepted = response.status < 300 || (response.status === 404 && example.path.startsWith('/admin/families/'));
      assert.ok(accepted, `${example.method} ${example.path}: ${response.status} ${await response.text()}`);
    }
  });
});
