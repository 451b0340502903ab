import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { assertProperty } from '../support/property.js';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';

/**
 * Property: whatever arrives (bodies, headers, content types, path parameters, JSON), the
 * token-service answers below 500 and never with a stack trace.
 */

/**
 * Runs per property: 7 properties x 100 stay under a minute on a loaded two-core machine; FUZZ_RUNS=1000
 * digs deeper. The seed follows test/support/property.ts (fixed in CI, FUZZ_SEED replays a failure).
 */
const NUM_RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Characters that tend to break parsers, encoders and databases. */
const nasty = fc.constantFrom('\u0000', '\ud800', '\udfff', '%', '%00', '%zz', '%E0%A4%A', '&', '=', '+', ' ', '"', "'", '\\', '\n', '\r\n', '../', '\u202e', '\u{1F4A9}', 'eyJ', '.', ':', '{', '[', 'null', '__proto__', 'constructor', '\u00ff', '\t');
const anyChar = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const text = fc.oneof(
  { arbitrary: fc.string({ unit: fc.oneof({ arbitrary: anyChar, weight: 3 }, { arbitrary: nasty, weight: 1 }), maxLength: 40 }), weight: 5 },
  { arbitrary: fc.string({ maxLength: 20 }), weight: 3 },
  { arbitrary: fc.nat({ max: 20_000 }).map((n) => 'A'.repeat(n)), weight: 1 },
);
/** What undici lets through as a header value: bytes up to 0xFF without control characters other than tab. */
const headerText = fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => s.replace(/[\u0000-\u0008\u000a-\u001f\u007f]/g, ''));
/** encodeURIComponent throws on an unpaired surrogate; URL encoders in the wild send U+FFFD instead. */
const wellFormed = (s: string) => s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
const base64Of = (arb: fc.Arbitrary<string>) => arb.map((s) => Buffer.from(s, 'utf8').toString('base64'));

const contentTypes = fc.oneof(
  fc.constantFrom(
    'application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8', 'APPLICATION/X-WWW-FORM-URLENCODED',
    'application/x-www-form-urlencoded; charset=latin1', 'application/json', 'application/json; charset=utf-16', 'text/plain',
    'multipart/form-data; boundary=xyz', 'application/octet-stream', 'application/x-www-form-urlencoded;;;', '*/*', ';', 'application/',
  ),
  headerText,
);

describe('fuzzing the token-service', () => {
  let ts: TestTokenService;
  let client: TestClient;
  let patchTarget: string;
  let accessToken: string;
  let refreshTokens: string[];

  before(async () => {
    ts = await startTestTokenService({ env: { AUTH_FAILED_AUTH_LIMIT: '10000000' } });
    client = await ts.createClient({ client_id: 'fuzz-client' });
    patchTarget = (await ts.createClient({ client_id: 'fuzz-patch-target' })).client_id;
    accessToken = (await ts.clientCredentials(client)).access_token;
    refreshTokens = await Promise.all(Array.from({ length: 5 }, async (_, i) => (await ts.issuePair(`user-${i}`, client.client_id)).refresh_token!));
  });
  after(() => ts.close());

  /** Sends one request; a request the client library itself refuses to build is discarded. */
  async function check(url: string, init: RequestInit): Promise<void> {
    let request: Request;
    try {
      request = new Request(url, init);
    } catch {
      fc.pre(false);
      return;
    }
    let response: Response;
    try {
      response = await fetch(request);
    } catch (error) {
      // undici refusing to send a header it considers invalid is not the server's answer.
      if ((error as { cause?: { code?: string } }).cause?.code === 'UND_ERR_INVALID_ARG') {
        fc.pre(false);
        return;
      }
      throw error;
    }
    const body = await response.text();
    assert.ok(response.status < 500, `${init.method} ${url} -> ${response.status}: ${body.slice(0, 500)}`);
    assert.doesNotMatch(body, /\n\s+at |node_modules|\.ts:\d+/, `stack trace in ${body.slice(0, 500)}`);
  }

  const oauthKeys = fc.oneof(
    { arbitrary: fc.constantFrom('grant_type', 'scope', 'resource', 'audience', 'refresh_token', 'client_id', 'client_secret', 'client_assertion', 'client_assertion_type', 'token', 'token_type_hint'), weight: 4 },
    { arbitrary: text, weight: 1 },
  );
  const oauthValues = () => fc.oneof(
    { arbitrary: fc.constantFrom('client_credentials', 'refresh_token', 'password', 'read', 'write', 'read write', 'api', 'fuzz-client', CLIENT_ASSERTION_TYPE, 'access_token', 'refresh_token', 'eyJhbGciOiJub25lIn0.eyJpc3MiOiJmdXp6LWNsaWVudCJ9.', 'a.b.c'), weight: 3 },
    { arbitrary: fc.constantFrom(client.client_secret, accessToken, ...refreshTokens), weight: 2 },
    { arbitrary: text, weight: 3 },
  );
  const formBody = () => fc.array(fc.tuple(oauthKeys, oauthValues()), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString());
  const body = () => fc.oneof(
    { arbitrary: formBody(), weight: 5 },
    { arbitrary: text, weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')), weight: 1 },
    { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 1 },
    { arbitrary: fc.constant(undefined), weight: 1 },
  );
  const authorization = () => fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 2 },
    { arbitrary: fc.constant(basicAuth(client)), weight: 3 },
    { arbitrary: fc.tuple(text, text).map(([id, secret]) => basicAuth({ client_id: wellFormed(id), client_secret: wellFormed(secret) })), weight: 2 },
    { arbitrary: fc.tuple(text, text).map(([id, secret]) => `Basic ${Buffer.from(`${id}:${secret}`, 'utf8').toString('base64')}`), weight: 1 },
    { arbitrary: base64Of(text).map((b) => `Basic ${b}`), weight: 1 },
    { arbitrary: headerText.map((t) => `Basic ${t}`), weight: 1 },
    { arbitrary: fc.constantFrom(`Bearer ${accessToken}`, `DPoP ${accessToken}`, 'Basic', 'Basic ===', 'Bearer', 'basic Zm9v'), weight: 1 },
    { arbitrary: headerText, weight: 1 },
  );
  const extraHeaders = fc.dictionary(
    fc.constantFrom('x-request-id', 'x-forwarded-for', 'dpop', 'accept', 'accept-encoding', 'x-custom', 'content-encoding', 'forwarded', 'cookie'),
    headerText,
    { maxKeys: 3 },
  );
  const method = fc.oneof({ arbitrary: fc.constant('POST'), weight: 8 }, { arbitrary: fc.constantFrom('GET', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD'), weight: 1 });

  for (const path of ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke']) {
    test(`${path}: arbitrary form bodies, headers, Authorization variants and content types never get a 5xx`, async () => {
      await assertProperty(
        fc.asyncProperty(method, contentTypes, authorization(), body(), extraHeaders, fc.boolean(), async (m, contentType, auth, payload, extra, withContentType) => {
          const headers: Record<string, string> = { ...extra };
          if (withContentType) headers['content-type'] = contentType;
          if (auth !== undefined) headers.authorization = auth;
          const hasBody = payload !== undefined && m !== 'GET' && m !== 'HEAD';
          await check(ts.url + path, { method: m, headers, ...(hasBody ? { body: payload } : {}) });
        }),
        { numRuns: NUM_RUNS },
      );
    });
  }

  const scopeish = fc.oneof(fc.constantFrom('read', 'write', 'a:b', ''), text);
  const jwk = fc.record(
    { kty: fc.oneof(fc.constantFrom('EC', 'RSA', 'OKP', 'oct'), text), crv: fc.oneof(fc.constantFrom('P-256', 'Ed25519'), text), x: text, y: text, n: text, e: text, alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'EdDSA', 'HS256', 'none'), text), kid: text, use: text },
    { requiredKeys: [] },
  );
  const clientFields = fc.record(
    {
      client_id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._~-]{3,128}$/), text, fc.jsonValue({ maxDepth: 1 })),
      name: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })),
      token_endpoint_auth_method: fc.oneof(fc.constantFrom('client_secret_basic', 'client_secret_post', 'private_key_jwt'), text),
      grant_types: fc.oneof(fc.subarray(['client_credentials', 'refresh_token']), fc.array(text, { maxLength: 3 })),
      scopes: fc.oneof(fc.array(scopeish, { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 })),
      audiences: fc.oneof(fc.array(fc.oneof(fc.constant('api'), text), { maxLength: 4 }), fc.jsonValue({ maxDepth: 2 })),
      jwks: fc.oneof(fc.record({ keys: fc.array(jwk, { maxLength: 3 }) }), fc.jsonValue({ maxDepth: 3 })),
      access_token_ttl_seconds: fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.double(), text),
      bound_identity: fc.oneof(fc.constant(null), text),
      disabled: fc.oneof(fc.boolean(), text),
    },
    { requiredKeys: [] },
  );
  const jsonBody = fc.oneof(
    { arbitrary: clientFields.map((v) => JSON.stringify(v)), weight: 6 },
    { arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? 'null'), weight: 2 },
    { arbitrary: text, weight: 1 },
  );
  const adminHeaders = (contentType: string | undefined): Record<string, string> => ({
    authorization: `Bearer ${ts.adminToken}`,
    ...(contentType === undefined ? {} : { 'content-type': contentType }),
  });
  const jsonOrOther = fc.oneof({ arbitrary: fc.constant('application/json'), weight: 6 }, { arbitrary: fc.option(contentTypes, { nil: undefined }), weight: 1 });

  test('POST /admin/clients: arbitrary JSON bodies never get a 5xx', async () => {
    await assertProperty(
      fc.asyncProperty(jsonBody, jsonOrOther, async (payload, contentType) => {
        await check(`${ts.internalUrl}/admin/clients`, { method: 'POST', headers: adminHeaders(contentType), body: payload });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('PATCH /admin/clients/:id: arbitrary JSON bodies never get a 5xx', async () => {
    await assertProperty(
      fc.asyncProperty(jsonBody, jsonOrOther, async (payload, contentType) => {
        await check(`${ts.internalUrl}/admin/clients/${patchTarget}`, { method: 'PATCH', headers: adminHeaders(contentType), body: payload });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('admin and internal routes: arbitrary path parameters and query strings never get a 5xx', async () => {
    const encodedOrRaw = fc.oneof(text.map((t) => encodeURIComponent(wellFormed(t))), fc.string({ unit: fc.constantFrom('a', '%', '0', 'F', 'z', '/', '.', '?', '#', '&', '=', ';', '~'), maxLength: 30 }));
    const route = fc.oneof(
      encodedOrRaw.map((p) => ['GET', `/admin/clients/${p}`] as const),
      encodedOrRaw.map((p) => ['DELETE', `/admin/clients/${p}-not-a-known-client`] as const),
      encodedOrRaw.map((p) => ['POST', `/admin/clients/${p}/secret`] as const),
      encodedOrRaw.map((p) => ['POST', `/admin/families/${p}/revoke`] as const),
      encodedOrRaw.map((q) => ['GET', `/admin/audit?${q}`] as const),
      fc.tuple(fc.constantFrom('after', 'limit', 'event'), encodedOrRaw).map(([k, v]) => ['GET', `/admin/audit?${k}=${v}`] as const),
      fc.tuple(fc.constantFrom('since', 'limit'), encodedOrRaw).map(([k, v]) => ['GET', `/internal/revocations?${k}=${v}`] as const),
      encodedOrRaw.map((q) => ['GET', `/internal/revocations?${q}`] as const),
      encodedOrRaw.map((p) => ['GET', `/admin/${p}`] as const),
    );
    await assertProperty(
      fc.asyncProperty(route, fc.boolean(), async ([m, path], authenticated) => {
        // The feed takes the edges' credential; everything else here the admin token.
        const credential = path.startsWith('/internal/revocations') ? { authorization: `Bearer ${ts.revocationFeedToken}` } : adminHeaders(undefined);
        await check(ts.internalUrl + path, { method: m, headers: authenticated ? credential : {} });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('POST /internal/tokens and POST /admin/keys/rotate: arbitrary JSON bodies never get a 5xx', async () => {
    const issueBody = fc.oneof(
      fc.record(
        { subject: fc.oneof(text, fc.jsonValue({ maxDepth: 1 })), client_id: fc.oneof(fc.constant('fuzz-client'), text), scope: fc.oneof(fc.constantFrom('read', 'read write', 'admin'), text), audience: fc.oneof(fc.array(fc.oneof(fc.constant('api'), text), { maxLength: 3 }), fc.jsonValue({ maxDepth: 1 })) },
        { requiredKeys: [] },
      ).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    );
    const rotateBody = fc.oneof(
      fc.record({ publishLeadSeconds: fc.oneof(fc.integer({ min: -5, max: 700_000 }), text), retireOthersNow: fc.oneof(fc.constant(false), text) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v) ?? 'null'),
    );
    const call = fc.oneof(
      { arbitrary: issueBody.map((b) => ['/internal/tokens', b] as const), weight: 9 },
      { arbitrary: rotateBody.map((b) => ['/admin/keys/rotate', b] as const), weight: 1 },
    );
    await assertProperty(
      fc.asyncProperty(call, jsonOrOther, async ([path, payload], contentType) => {
        await check(ts.internalUrl + path, { method: 'POST', headers: adminHeaders(contentType), body: payload });
      }),
      { numRuns: NUM_RUNS },
    );
  });

  test('after the fuzzing the service still issues tokens and its audit chain verifies', async () => {
    // The fuzzed PATCHes may have disabled or re-keyed their target, never this client.
    const token = await ts.clientCredentials(client);
    assert.equal(token.token_type, 'Bearer');
    const verify = (await (await ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean };
    assert.equal(verify.ok, true);
    assert.ok(!ts.logs.some((line) => line.includes('"level":50')), 'no error was logged');
    // Fuzzed paths and codes must not become metric labels: the series count stays bounded.
    const metrics = await (await fetch(`${ts.url}/metrics`)).text();
    const routes = new Set([...metrics.matchAll(/route="([^"]*)"/g)].map((m) => m[1]!));
    const errors = new Set([...metrics.matchAll(/error="([^"]*)"/g)].map((m) => m[1]!));
    assert.ok(routes.has('/oauth2/token') && routes.has('unmatched'), `route labels: ${[...routes].join(' ')}`);
    assert.ok(routes.size < 40, `route labels: ${[...routes].join(' ')}`);
    for (const route of routes) assert.match(route, /^(unmatched|\/[A-Za-z0-9/._:-]*)$/, `route label ${JSON.stringify(route)}`);
    assert.ok(errors.size < 20, `error labels: ${[...errors].join(' ')}`);
    for (const error of errors) assert.match(error, /^[a-z_]+$/, `error label ${JSON.stringify(error)}`);
  });
});
