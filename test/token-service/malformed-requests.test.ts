import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';

/**
 * Every endpoint, fed malformed input, answers a 4xx with a documented body: RFC 6749 §5.2
 * `{error, error_description}` on /oauth2/*, RFC 9457 problem+json with a `code` elsewhere.
 * Never a 5xx, never a stack trace.
 */

type Kind = 'oauth' | 'problem';
interface Case {
  name: string;
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Adds a valid Basic header for the test client. */
  asClient?: boolean;
  /** Adds the admin bearer token. */
  asAdmin?: boolean;
  /** Sends the revocation feed token, as an edge does. */
  asEdge?: boolean;
  status: number;
  code?: string;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_CT = { 'content-type': 'application/json' };
const HUGE = 'x'.repeat(200_000);

function assertNoLeak(text: string): void {
  assert.doesNotMatch(text, /\n\s+at /, 'no stack frames');
  assert.doesNotMatch(text, /\bat .+\.(ts|js):\d+:\d+/, 'no source locations');
  assert.ok(!text.includes('node_modules') && !text.includes('/work/'), 'no file paths');
}

async function assertOAuthError(response: Response, status: number, code: string | undefined): Promise<Record<string, unknown>> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(String(response.headers.get('content-type')), /^application\/json/, text);
  assertNoLeak(text);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(typeof body.error, 'string', text);
  assert.match(body.error as string, /^[\x20-\x21\x23-\x5B\x5D-\x7E]+$/, 'RFC 6749 error charset');
  assert.equal(typeof body.error_description, 'string', text);
  if (code !== undefined) assert.equal(body.error, code, text);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  return body;
}

async function assertProblem(response: Response, status: number, code: string | undefined): Promise<Record<string, unknown>> {
  const text = await response.text();
  assert.equal(response.status, status, text);
  assert.match(String(response.headers.get('content-type')), /^application\/problem\+json/, text);
  assertNoLeak(text);
  const body = JSON.parse(text) as Record<string, unknown>;
  assert.equal(body.status, status, text);
  assert.equal(typeof body.type, 'string', text);
  assert.equal(typeof body.title, 'string', text);
  assert.equal(typeof body.code, 'string', text);
  if (code !== undefined) assert.equal(body.code, code, text);
  return body;
}

describe('malformed requests', () => {
  let ts: TestTokenService;
  let client: TestClient;
  let send: (c: Case) => Promise<Response>;

  before(async () => {
    ts = await startTestTokenService();
    client = await ts.createClient({ client_id: 'malformed-client' });
    send = (c) =>
      fetch((/^\/(admin|internal)\b/.test(c.path) ? ts.internalUrl : ts.url) + c.path, {
        method: c.method ?? 'POST',
        headers: {
          ...(c.asClient ? { authorization: basicAuth(client) } : {}),
          ...(c.asAdmin ? { authorization: `Bearer ${ts.adminToken}` } : {}),
          ...(c.asEdge ? { authorization: `Bearer ${ts.revocationFeedToken}` } : {}),
          ...c.headers,
        },
        ...(c.body === undefined ? {} : { body: c.body }),
      });
  });
  after(() => ts.close());

  const oauthEndpoints = ['/oauth2/token', '/oauth2/introspect', '/oauth2/revoke'];
  const oauthCases: Case[] = [];
  for (const path of oauthEndpoints) {
    const validBody = path === '/oauth2/token' ? 'grant_type=client_credentials' : 'token=abc';
    oauthCases.push(
      { name: `${path}: a JSON body is 415`, path, asClient: true, headers: JSON_CT, body: '{"grant_type":"client_credentials","token":"abc"}', status: 415, code: 'invalid_request' },
      { name: `${path}: text/plain is 415`, path, asClient: true, headers: { 'content-type': 'text/plain' }, body: validBody, status: 415 },
      { name: `${path}: multipart/form-data is 415`, path, asClient: true, headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415 },
      { name: `${path}: a body without a content type is 415`, path, asClient: true, body: validBody, status: 415 },
      { name: `${path}: no body at all is 400`, path, asClient: true, status: 400, code: 'invalid_request' },
      { name: `${path}: a body over the limit is 413`, path, asClient: true, headers: FORM, body: `${validBody}&pad=${HUGE}`, status: 413 },
      { name: `${path}: Basic credentials that are not base64 are 401 invalid_client`, path, headers: { ...FORM, authorization: 'Basic !!!not*base64' }, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: Basic credentials without a colon are 401`, path, headers: { ...FORM, authorization: `Basic ${Buffer.from('just-an-id').toString('base64')}` }, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: Basic credentials with broken percent-encoding are 401`, path, headers: { ...FORM, authorization: `Basic ${Buffer.from('%zz:%E0%A4%A').toString('base64')}` }, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: an empty Basic credential is 401`, path, headers: { ...FORM, authorization: 'Basic ' }, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: Basic credentials of control characters are 401`, path, headers: { ...FORM, authorization: `Basic ${Buffer.from('\u0001\u0002:\u0003').toString('base64')}` }, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: no client authentication is 401 invalid_client`, path, headers: FORM, body: validBody, status: 401, code: 'invalid_client' },
      { name: `${path}: two client authentication methods at once are 400`, path, asClient: true, headers: FORM, body: `${validBody}&client_id=malformed-client&client_secret=x`, status: 400, code: 'invalid_request' },
      { name: `${path}: client_secret without client_id is 400`, path, headers: FORM, body: `${validBody}&client_secret=x`, status: 400, code: 'invalid_request' },
      { name: `${path}: a repeated client_id is 400`, path, headers: FORM, body: `${validBody}&client_id=a&client_id=b&client_secret=x`, status: 400, code: 'invalid_request' },
      { name: `${path}: a client assertion of the wrong type is 400`, path, headers: FORM, body: `${validBody}&client_assertion_type=urn:x&client_assertion=a.b.c`, status: 400, code: 'invalid_request' },
      { name: `${path}: a malformed client assertion is 401`, path, headers: FORM, body: `${validBody}&client_assertion_type=${encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer')}&client_assertion=not.a.jwt`, status: 401, code: 'invalid_client' },
      { name: `${path}: a NUL character in a parameter is 400`, path, asClient: true, headers: FORM, body: `${validBody}&scope=read%00&audience=a%00`, status: 400, code: 'invalid_request' },
      { name: `${path}: GET is 405`, method: 'GET', path, asClient: true, status: 405, code: 'invalid_request' },
      { name: `${path}: PUT is 405`, method: 'PUT', path, asClient: true, headers: FORM, body: validBody, status: 405, code: 'invalid_request' },
      { name: `${path}: DELETE is 405`, method: 'DELETE', path, asClient: true, status: 405, code: 'invalid_request' },
    );
  }
  oauthCases.push(
    { name: '/oauth2/token: a missing grant_type is 400 invalid_request', path: '/oauth2/token', asClient: true, headers: FORM, body: 'scope=read', status: 400, code: 'invalid_request' },
    { name: '/oauth2/token: an empty grant_type is 400 invalid_request', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=', status: 400, code: 'invalid_request' },
    { name: '/oauth2/token: a repeated grant_type is 400 invalid_request', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=client_credentials&grant_type=client_credentials', status: 400, code: 'invalid_request' },
    { name: '/oauth2/token: a repeated scope is 400 invalid_request', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=client_credentials&scope=read&scope=write', status: 400, code: 'invalid_request' },
    { name: '/oauth2/token: the password grant is unsupported_grant_type', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=password&username=a&password=b', status: 400, code: 'unsupported_grant_type' },
    { name: '/oauth2/token: authorization_code is unsupported_grant_type', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=authorization_code&code=x', status: 400, code: 'unsupported_grant_type' },
    { name: '/oauth2/token: a long garbage grant_type is unsupported_grant_type', path: '/oauth2/token', asClient: true, headers: FORM, body: `grant_type=${'%F0%9F%92%A9'.repeat(500)}`, status: 400, code: 'unsupported_grant_type' },
    { name: '/oauth2/token: an unsupported grant type is refused even without client authentication', path: '/oauth2/token', headers: FORM, body: 'grant_type=urn:ietf:params:oauth:grant-type:device_code', status: 400, code: 'unsupported_grant_type' },
    { name: '/oauth2/token: refresh_token grant without refresh_token is 400', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=refresh_token', status: 400, code: 'invalid_request' },
    { name: '/oauth2/token: a refresh token that was never issued is invalid_grant', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=refresh_token&refresh_token=never-issued', status: 400, code: 'invalid_grant' },
    { name: '/oauth2/token: an unknown scope is invalid_scope', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=client_credentials&scope=admin', status: 400, code: 'invalid_scope' },
    { name: '/oauth2/token: an unknown audience is invalid_target', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=client_credentials&resource=https://elsewhere', status: 400, code: 'invalid_target' },
    { name: '/oauth2/token: percent-encoding that decodes to nothing valid is just an unknown grant', path: '/oauth2/token', asClient: true, headers: FORM, body: 'grant_type=%zz%E0%A4%A&&&=&%', status: 400, code: 'unsupported_grant_type' },
    { name: '/oauth2/token: a malformed query string does not change a form-body error', path: '/oauth2/token?%E0%A4%A=%zz&&=', asClient: true, headers: FORM, body: 'scope=read', status: 400, code: 'invalid_request' },
    { name: '/oauth2/introspect: a missing token is 400', path: '/oauth2/introspect', asClient: true, headers: FORM, body: 'token_type_hint=access_token', status: 400, code: 'invalid_request' },
    { name: '/oauth2/introspect: a repeated token is 400', path: '/oauth2/introspect', asClient: true, headers: FORM, body: 'token=a&token=b', status: 400, code: 'invalid_request' },
    { name: '/oauth2/introspect: an unknown token_type_hint is unsupported_token_type', path: '/oauth2/introspect', asClient: true, headers: FORM, body: 'token=a&token_type_hint=id_token', status: 400, code: 'unsupported_token_type' },
    { name: '/oauth2/revoke: a missing token is 400', path: '/oauth2/revoke', asClient: true, headers: FORM, body: 'token_type_hint=refresh_token', status: 400, code: 'invalid_request' },
    { name: '/oauth2/revoke: an empty token is 400', path: '/oauth2/revoke', asClient: true, headers: FORM, body: 'token=', status: 400, code: 'invalid_request' },
    { name: '/oauth2/revoke: an unknown token_type_hint is unsupported_token_type', path: '/oauth2/revoke', asClient: true, headers: FORM, body: 'token=a&token_type_hint=bogus', status: 400, code: 'unsupported_token_type' },
  );

  describe('OAuth endpoints answer RFC 6749 error bodies', () => {
    for (const c of oauthCases) {
      test(c.name, async () => {
        const response = await send(c);
        await assertOAuthError(response, c.status, c.code);
        if (c.status === 401 && c.code === 'invalid_client' && c.headers?.authorization?.startsWith('Basic')) {
          assert.match(String(response.headers.get('www-authenticate')), /^Basic /, 'RFC 6749 §5.2: a Basic challenge');
        }
        if (c.status === 405) assert.equal(response.headers.get('allow'), 'POST');
      });
    }
  });

  const json = (value: unknown) => JSON.stringify(value);
  const validClient = { name: 'x', scopes: ['read'], audiences: ['api'] };
  const problemCases: Case[] = [
    // The internal issue API.
    { name: 'POST /internal/tokens without the admin credential is 401', path: '/internal/tokens', headers: JSON_CT, body: json({ subject: 'u', client_id: 'malformed-client' }), status: 401, code: 'admin_unauthorized' },
    { name: 'POST /internal/tokens with a wrong admin token is 401', path: '/internal/tokens', headers: { ...JSON_CT, authorization: 'Bearer wrong-token' }, body: json({ subject: 'u', client_id: 'malformed-client' }), status: 401, code: 'admin_unauthorized' },
    { name: 'POST /internal/tokens with Basic instead of Bearer is 401', path: '/internal/tokens', headers: { ...JSON_CT, authorization: 'Basic YWRtaW46YWRtaW4=' }, body: json({}), status: 401, code: 'admin_unauthorized' },
    { name: 'POST /internal/tokens with a form body is 415', path: '/internal/tokens', asAdmin: true, headers: FORM, body: 'subject=u&client_id=malformed-client', status: 415, code: 'unsupported_media_type' },
    { name: 'POST /internal/tokens with malformed JSON is 400 invalid_json', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: '{"subject": "u", ', status: 400, code: 'invalid_json' },
    { name: 'POST /internal/tokens with an empty JSON body is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: '', status: 400 },
    { name: 'POST /internal/tokens with a JSON array is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: '[]', status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens without a subject is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ client_id: 'malformed-client' }), status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with an unknown field is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'u', client_id: 'malformed-client', admin: true }), status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with an object as subject is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: { $ne: 1 }, client_id: 'malformed-client' }), status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with a subject containing spaces is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'a b', client_id: 'malformed-client' }), status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with a NUL in client_id is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'u', client_id: 'malformed\u0000' }), status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with an unpaired surrogate is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: '{"subject":"u","client_id":"\\ud800x"}', status: 400, code: 'invalid_request' },
    { name: 'POST /internal/tokens with a __proto__ key is 400', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: '{"subject":"u","client_id":"malformed-client","__proto__":{"x":1}}', status: 400 },
    { name: 'POST /internal/tokens for an unknown client is 404', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'u', client_id: 'nobody' }), status: 404, code: 'client_not_found' },
    { name: 'POST /internal/tokens with a scope the client lacks is 400 invalid_scope', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'u', client_id: 'malformed-client', scope: 'admin' }), status: 400, code: 'invalid_scope' },
    { name: 'POST /internal/tokens over the body limit is 413', path: '/internal/tokens', asAdmin: true, headers: JSON_CT, body: json({ subject: 'u', client_id: 'malformed-client', scope: HUGE }), status: 413, code: 'body_too_large' },
    { name: 'GET /internal/tokens is a 404 problem', method: 'GET', path: '/internal/tokens', asAdmin: true, status: 404, code: 'not_found' },
    // The revocation feed.
    { name: 'GET /internal/revocations without the feed credential is 401', method: 'GET', path: '/internal/revocations', status: 401, code: 'revocation_feed_unauthorized' },
    { name: 'GET /internal/revocations with the admin token is 401: the feed takes its own credential only', method: 'GET', path: '/internal/revocations', asAdmin: true, status: 401, code: 'revocation_feed_unauthorized' },
    { name: 'GET /internal/revocations?since=abc is 400', method: 'GET', path: '/internal/revocations?since=abc', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations?since=-1 is 400', method: 'GET', path: '/internal/revocations?since=-1', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations with a since beyond any sequence is 400', method: 'GET', path: '/internal/revocations?since=99999999999999999999999', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations?limit=0 is 400', method: 'GET', path: '/internal/revocations?limit=0', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations?limit=100000 is 400', method: 'GET', path: '/internal/revocations?limit=100000', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations with an unknown parameter is 400', method: 'GET', path: '/internal/revocations?sinse=1', asEdge: true, status: 400, code: 'invalid_request' },
    { name: 'GET /internal/revocations with broken percent-encoding is 400', method: 'GET', path: '/internal/revocations?since=%E0%A4%A', asEdge: true, status: 400 },
    { name: 'GET /internal/revocations with a repeated since is 400', method: 'GET', path: '/internal/revocations?since=1&since=2', asEdge: true, status: 400 },
    { name: 'POST /internal/revocations is a 404 problem', path: '/internal/revocations', asEdge: true, status: 404, code: 'not_found' },
    // The admin API.
    { name: 'GET /admin/clients without the admin credential is 401', method: 'GET', path: '/admin/clients', status: 401, code: 'admin_unauthorized' },
    { name: 'GET /admin/keys with a lowercase scheme and wrong token is 401', method: 'GET', path: '/admin/keys', headers: { authorization: 'bearer nope' }, status: 401, code: 'admin_unauthorized' },
    { name: 'POST /admin/clients with a form body is 415', path: '/admin/clients', asAdmin: true, headers: FORM, body: 'name=x', status: 415, code: 'unsupported_media_type' },
    { name: 'POST /admin/clients with malformed JSON is 400 invalid_json', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: '{"name":', status: 400, code: 'invalid_json' },
    { name: 'POST /admin/clients without a name is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ scopes: ['read'], audiences: ['api'] }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with an unknown field is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, client_secret: 'chosen-by-caller' }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with scopes as a string is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, scopes: { read: true } }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with a scope holding a quote is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, scopes: ['re"ad'] }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with no audiences is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, audiences: [] }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with an unknown grant type is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, grant_types: ['password'] }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with an unknown auth method is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'none' }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with a token lifetime out of range is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, access_token_ttl_seconds: 1 }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with a client_id holding a slash is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, client_id: '../x' }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients for private_key_jwt without jwks is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'private_key_jwt' }), status: 400, code: 'invalid_client_metadata' },
    { name: 'POST /admin/clients with a private key in jwks is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b', d: 'private' }] } }), status: 400, code: 'invalid_jwks' },
    { name: 'POST /admin/clients with a symmetric key in jwks is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'oct' }] } }), status: 400, code: 'invalid_jwks' },
    { name: 'POST /admin/clients with an HMAC alg in jwks is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', alg: 'HS256' }] } }), status: 400, code: 'invalid_jwks' },
    { name: 'POST /admin/clients with NUL in a jwks member name is 400', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [{ kty: 'EC', 'x\u0000': 'a' }] } }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/clients with an existing client_id is 409', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, client_id: 'malformed-client' }), status: 409, code: 'client_exists' },
    { name: 'POST /admin/clients over the body limit is 413', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json({ ...validClient, name: HUGE }), status: 413, code: 'body_too_large' },
    { name: 'PUT /admin/clients is a 404 problem', method: 'PUT', path: '/admin/clients', asAdmin: true, headers: JSON_CT, body: json(validClient), status: 404, code: 'not_found' },
    { name: 'GET /admin/clients/<129 characters> is 400', method: 'GET', path: `/admin/clients/${'a'.repeat(129)}`, asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/clients/<300 characters> is a 414 problem', method: 'GET', path: `/admin/clients/${'a'.repeat(300)}`, asAdmin: true, status: 414, code: 'uri_too_long' },
    { name: 'GET /admin/clients/<unknown> is 404', method: 'GET', path: '/admin/clients/nobody', asAdmin: true, status: 404, code: 'client_not_found' },
    { name: 'GET /admin/clients/%00 is 400', method: 'GET', path: '/admin/clients/%00', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/clients/<broken percent-encoding> is a 400 problem', method: 'GET', path: '/admin/clients/%E0%A4%A', asAdmin: true, status: 400, code: 'bad_url' },
    { name: 'a malformed URL outside any route is a 400 problem', method: 'GET', path: '/%E0%A4%A/%zz', status: 400, code: 'bad_url' },
    { name: 'PATCH /admin/clients/:id with an empty object is 400', method: 'PATCH', path: '/admin/clients/malformed-client', asAdmin: true, headers: JSON_CT, body: '{}', status: 400, code: 'invalid_request' },
    { name: 'PATCH /admin/clients/:id with an unknown field is 400', method: 'PATCH', path: '/admin/clients/malformed-client', asAdmin: true, headers: JSON_CT, body: json({ secret_hash: 'x' }), status: 400, code: 'invalid_request' },
    { name: 'PATCH /admin/clients/:id with a client_id change is 400', method: 'PATCH', path: '/admin/clients/malformed-client', asAdmin: true, headers: JSON_CT, body: json({ client_id: 'other' }), status: 400, code: 'invalid_request' },
    { name: 'PATCH /admin/clients/<unknown> is 404', method: 'PATCH', path: '/admin/clients/nobody', asAdmin: true, headers: JSON_CT, body: json({ name: 'x' }), status: 404, code: 'client_not_found' },
    { name: 'PATCH /admin/clients/:id moving to private_key_jwt without jwks is 400', method: 'PATCH', path: '/admin/clients/malformed-client', asAdmin: true, headers: JSON_CT, body: json({ token_endpoint_auth_method: 'private_key_jwt' }), status: 400, code: 'invalid_client_metadata' },
    { name: 'DELETE /admin/clients/<unknown> is 404', method: 'DELETE', path: '/admin/clients/nobody', asAdmin: true, status: 404, code: 'client_not_found' },
    { name: 'POST /admin/clients/<unknown>/secret is 404', path: '/admin/clients/nobody/secret', asAdmin: true, status: 404, code: 'client_not_found' },
    { name: 'POST /admin/keys/rotate with an unknown field is 400', path: '/admin/keys/rotate', asAdmin: true, headers: JSON_CT, body: json({ alg: 'HS256' }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/keys/rotate with a negative lead is 400', path: '/admin/keys/rotate', asAdmin: true, headers: JSON_CT, body: json({ publishLeadSeconds: -1 }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/keys/rotate with a lead of a year is 400', path: '/admin/keys/rotate', asAdmin: true, headers: JSON_CT, body: json({ publishLeadSeconds: 31_536_000 }), status: 400, code: 'invalid_request' },
    { name: 'POST /admin/keys/rotate with malformed JSON is 400', path: '/admin/keys/rotate', asAdmin: true, headers: JSON_CT, body: '{', status: 400, code: 'invalid_json' },
    { name: 'DELETE /admin/keys is a 404 problem', method: 'DELETE', path: '/admin/keys', asAdmin: true, status: 404, code: 'not_found' },
    { name: 'POST /admin/families/<unknown>/revoke is 404', path: '/admin/families/nobody/revoke', asAdmin: true, status: 404, code: 'family_not_found' },
    { name: 'POST /admin/families/%00/revoke is 400', path: '/admin/families/%00/revoke', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit?limit=0 is 400', method: 'GET', path: '/admin/audit?limit=0', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit?after=x is 400', method: 'GET', path: '/admin/audit?after=x', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit with an after beyond any sequence is 400', method: 'GET', path: '/admin/audit?after=1e30', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit with an unknown parameter is 400', method: 'GET', path: '/admin/audit?order=desc', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit with a 65-character event is 400', method: 'GET', path: `/admin/audit?event=${'e'.repeat(65)}`, asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/audit?event=%00 is 400', method: 'GET', path: '/admin/audit?event=%00', asAdmin: true, status: 400, code: 'invalid_request' },
    { name: 'GET /admin/nothing-here is a 404 problem', method: 'GET', path: '/admin/nothing-here', asAdmin: true, status: 404, code: 'not_found' },
  ];

  describe('internal and admin APIs answer RFC 9457 problems', () => {
    for (const c of problemCases) {
      test(c.name, async () => {
        const response = await send(c);
        await assertProblem(response, c.status, c.code);
        if (c.status === 401) assert.match(String(response.headers.get('www-authenticate')), /^Bearer /);
      });
    }
  });

  test('unknown form parameters on /oauth2/token are ignored, as RFC 6749 §3.1 requires', async () => {
    const response = await ts.form('/oauth2/token', { grant_type: 'client_credentials', unknown_param: 'x', nonce: 'y' }, client);
    assert.equal(response.status, 200, await response.clone().text());
    assert.equal(((await response.json()) as { token_type: string }).token_type, 'Bearer');
  });

  test('a client with the longest allowed id (128 characters) can be read, updated and deleted', async () => {
    const clientId = 'L'.repeat(128);
    await ts.createClient({ client_id: clientId });
    assert.equal((await ts.admin('GET', `/admin/clients/${clientId}`)).status, 200);
    assert.equal((await ts.admin('PATCH', `/admin/clients/${clientId}`, { name: 'renamed' })).status, 200);
    assert.equal((await ts.admin('DELETE', `/admin/clients/${clientId}`)).status, 200);
  });

  test('a request with oversized headers is refused with 431 before reaching any route', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${ts.url}/oauth2/token`);
      const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...FORM, 'x-padding': 'p'.repeat(64 * 1024) } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('grant_type=client_credentials');
    });
    assert.equal(status, 431);
  });

  test('after all of the above the service still issues tokens and its audit chain verifies', async () => {
    const token = await ts.clientCredentials(client);
    assert.equal(token.token_type, 'Bearer');
    const verify = (await (await ts.admin('GET', '/admin/audit/verify')).json()) as { ok: boolean };
    assert.equal(verify.ok, true);
  });
});
