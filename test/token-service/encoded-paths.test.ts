import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

/**
 * Attack: paths carrying an encoded NUL, other control characters or invalid percent-encodings,
 * sent to routes that exist, routes that do not, and routes with parameters. Each must get a 4xx
 * with a documented code and leave no error in the log (a 500 here once paged an operator for a
 * scanner's request).
 */
const PUBLIC_PATHS = [
  '/%00', '/oauth2/token%00', '/oauth2/%00token', '/oauth2/introspect%00', '/.well-known/jwks.json%00', '/.well-known/jwks.json?x=%00',
  '/openapi.json?%00=1', '/healthz?x=%00', '/oauth2/token%01', '/oauth2/token%1f%7f', '/%zz', '/oauth2/%c0%af', '/oauth2/token%', '/oauth2/%E0%A4%A',
];
const INTERNAL_PATHS = [
  '/%00', '/admin/%00', '/admin/clients/%00', '/admin/clients/a%00b/secret', '/admin/families/%00/revoke', '/internal/%00', '/internal/revocations%00',
  '/admin/audit?event=%00', '/admin/clients/%01', '/admin/clients/%zz', '/admin/clients/%c0%af', '/admin/%c0%ae%c0%ae/keys', '/admin/clients/%',
];

describe('encoded control characters and invalid percent-encodings in token-service paths', () => {
  let ts: TestTokenService;
  const documented = readFileSync('docs/api.md', 'utf8');

  before(async () => {
    ts = await startTestTokenService();
  });
  after(() => ts.close());

  const cases = [
    ...PUBLIC_PATHS.map((path) => ({ listener: 'public' as const, path })),
    ...INTERNAL_PATHS.map((path) => ({ listener: 'internal' as const, path })),
  ];
  for (const { listener, path } of cases) {
    for (const method of ['GET', 'POST']) {
      test(`${method} ${path} on the ${listener} listener gets a 4xx with a documented code`, async () => {
        const base = listener === 'public' ? ts.url : ts.internalUrl;
        const response = await fetch(base + path, {
          method,
          headers: { authorization: `Bearer ${ts.adminToken}`, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
          ...(method === 'POST' ? { body: 'grant_type=client_credentials' } : {}),
        });
        const body = (await response.json()) as { code?: string; error?: string };
        assert.ok(response.status >= 400 && response.status < 500, `${response.status} ${JSON.stringify(body)}`);
        const code = body.code ?? body.error;
        assert.ok(code !== undefined && documented.includes(`\`${code}\``), `code ${JSON.stringify(code)} is documented in docs/api.md`);
      });
    }
  }

  test('none of them left an error or a failed-request line in the log', () => {
    const errors = ts.logs.filter((line) => /"level":(50|60)/.test(line) || line.includes('"msg":"request failed"'));
    assert.deepEqual(errors, []);
  });
});
