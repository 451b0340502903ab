import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fetch } from 'undici';
import { basicAuth, startTestTokenService, type TestClient, type TestTokenService } from '../support/token-service.js';
import { spiffe, startMeshTokenService, type MeshTokenService } from './support.js';
const linkerd = (sa: string) => `${sa}.auth-platform.serviceaccount.identity.linkerd.cluster.local`;

interface Introspection {
  status: number;
  body: Record<string, unknown>;
}

/** Registers a client through the admin API and gets it a token; the inits carry each call's caller identity. */
async function clientWithToken(ts: TestTokenService, adminInit: Record<string, unknown>, tokenInit: Record<string, unknown>, fields: Record<string, unknown> = {}): Promise<{ client: TestClient; token: string }> {
  const created = await fetch(`${ts.internalUrl}/admin/clients`, {
    method: 'POST',
    ...adminInit,
    headers: { authorization: `Bearer ${ts.adminToken}`, 'content-type': 'application/json', ...(adminInit.headers as Record<string, string> | undefined) },
    body: JSON.stringify({ name: 'resource server', scopes: ['read'], audiences: ['api'], introspection_audiences: ['api'], ...fields }),
  });
  assert.equal(created.status, 201);
  const client = (await created.json()) as TestClient;
  const granted = await fetch(`${ts.url}/oauth2/token`, {
    method: 'POST',
    ...tokenInit,
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
    body: 'grant_type=client_credentials',
  });
  assert.equal(granted.status, 200);
  return { client, token: ((await granted.json()) as { access_token: string }).access_token };
}

/**
 * RFC 7662 §4 at the workload level: `POST /oauth2/introspect` answers only the workloads on
 * MESH_ALLOW_INTROSPECT, with the refusal codes of every other allowlisted group, even for a
 * caller holding valid client credentials.
 */
describe('MESH_ALLOW_INTROSPECT under native mTLS', () => {
  let mesh: MeshTokenService;
  let ts: TestTokenService;
  let client: TestClient;
  let token: string;
  const as = (serviceAccount?: string) => mesh.as(serviceAccount);

  before(async () => {
    mesh = await startMeshTokenService({
      dirPrefix: 'introspect-allow-',
      serviceAccounts: ['token-service', 'authctl', 'auth-edge-service', 'orders-api', 'billing-worker'],
      env: { MESH_ALLOW_INTROSPECT: `${spiffe('auth-edge-service')},${spiffe('orders-api')}` },
    });
    ts = mesh.ts;
    ({ client, token } = await clientWithToken(ts, { dispatcher: as('authctl') }, { dispatcher: as('billing-worker') }, { bound_identity: spiffe('billing-worker') }));
  });
  after(() => mesh?.close());

  const introspect = async (caller: string | undefined): Promise<Introspection> => {
    const response = await fetch(`${ts.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
      body: new URLSearchParams({ token }).toString(),
      dispatcher: as(caller),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('a workload on the allowlist introspects, and learns the token\'s workload binding', async () => {
    const answer = await introspect('orders-api');
    assert.equal(answer.status, 200);
    assert.equal(answer.body.active, true);
    assert.deepEqual(answer.body.cnf, { spiffe_id: spiffe('billing-worker') });
  });

  test('a workload not on the allowlist is refused with 403 identity_not_allowed, whatever its client credentials', async () => {
    const answer = await introspect('billing-worker');
    assert.equal(answer.status, 403);
    assert.equal(answer.body.error, 'identity_not_allowed');
    assert.equal(answer.body.active, undefined);
  });

  test('a caller without a client certificate is refused with 401 identity_required', async () => {
    const answer = await introspect(undefined);
    assert.equal(answer.status, 401);
    assert.equal(answer.body.error, 'identity_required');
  });

  test('the token endpoint stays open to callers off the introspection allowlist', async () => {
    const granted = await fetch(`${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
      body: 'grant_type=client_credentials',
      dispatcher: as('billing-worker'),
    });
    assert.equal(granted.status, 200);
  });
});

describe('MESH_ALLOW_INTROSPECT in Linkerd mode', () => {
  let ts: TestTokenService;
  let client: TestClient;
  let token: string;

  before(async () => {
    ts = await startTestTokenService({ env: { MESH: 'linkerd' } });
    ({ client, token } = await clientWithToken(ts, { headers: { 'l5d-client-id': linkerd('authctl') } }, {}));
  });
  after(() => ts?.close());

  const introspect = async (headers: Record<string, string>): Promise<Introspection> => {
    const response = await fetch(`${ts.url}/oauth2/introspect`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client), ...headers },
      body: new URLSearchParams({ token }).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('the default allowlist admits the edge', async () => {
    const answer = await introspect({ 'l5d-client-id': linkerd('auth-edge-service') });
    assert.equal(answer.status, 200);
    assert.equal(answer.body.active, true);
  });

  test('another meshed workload is refused with 403 identity_not_allowed, and an unmeshed caller with 401 identity_required', async () => {
    const other = await introspect({ 'l5d-client-id': linkerd('authctl') });
    assert.equal(other.status, 403);
    assert.equal(other.body.error, 'identity_not_allowed');
    const unmeshed = await introspect({});
    assert.equal(unmeshed.status, 401);
    assert.equal(unmeshed.body.error, 'identity_required');
  });
});
