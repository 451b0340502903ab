import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { fetch } from 'undici';
import { basicAuth, type TestClient, type TokenResponse, type TestTokenService } from '../support/token-service.js';
import { spiffe, startMeshTokenService, type MeshTokenService } from './support.js';

/**
 * An identity-bound client's tokens belong to its workload, whichever way they are issued: the
 * refresh_token grant and the internal issue API enforce and record the binding exactly as
 * client_credentials does (test/mesh/token-service-mtls.test.ts).
 */
describe('identity-bound clients under every grant (native mTLS)', () => {
  let mesh: MeshTokenService;
  let ts: TestTokenService;
  /** A connection presenting the certificate of `serviceAccount`, or none. */
  const as = (serviceAccount?: string) => mesh.as(serviceAccount);

  before(async () => {
    mesh = await startMeshTokenService({
      dirPrefix: 'bound-grants-',
      serviceAccounts: ['token-service', 'authctl', 'login-service', 'billing-worker', 'other-worker'],
      env: { MESH_ALLOW_ISSUE: spiffe('login-service') },
    });
    ts = mesh.ts;
  });
  after(() => mesh?.close());

  const internal = (caller: string, method: string, path: string, body?: unknown) =>
    fetch(ts.internalUrl + path, {
      method,
      headers: { authorization: `Bearer ${ts.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      dispatcher: as(caller),
    });

  const createClient = (fields: Record<string, unknown>) =>
    internal('authctl', 'POST', '/admin/clients', { name: 'billing', scopes: ['read'], audiences: ['api'], grant_types: ['client_credentials', 'refresh_token'], ...fields });

  async function boundClient(): Promise<TestClient> {
    const response = await createClient({ bound_identity: spiffe('billing-worker') });
    assert.equal(response.status, 201);
    return (await response.json()) as TestClient;
  }

  /** The login service mints a pair for a user of `client` through the internal issue API. */
  async function issuePair(client: TestClient): Promise<TokenResponse> {
    const response = await internal('login-service', 'POST', '/internal/tokens', { subject: 'user-1', client_id: client.client_id });
    assert.equal(response.status, 200, await response.clone().text());
    return (await response.json()) as TokenResponse;
  }

  const refresh = (client: TestClient, refreshToken: string, caller: string | undefined) =>
    fetch(`${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
      dispatcher: as(caller),
    });

  test('the internal issue API binds a bound client\'s tokens to its workload, not to the issuing caller', async () => {
    const pair = await issuePair(await boundClient());
    assert.deepEqual(decodeJwt(pair.access_token).cnf, { spiffe_id: spiffe('billing-worker') });
  });

  test('a bound client\'s refresh token presented from another workload, or without a certificate, is refused and not spent', async () => {
    const client = await boundClient();
    const pair = await issuePair(client);
    for (const caller of ['other-worker', undefined]) {
      const refused = await refresh(client, pair.refresh_token!, caller);
      assert.equal(refused.status, 400, `caller ${caller ?? 'without certificate'}`);
      assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized_client');
    }
    // Refused before the grant ran: the token is neither spent nor its family revoked as reused.
    const granted = await refresh(client, pair.refresh_token!, 'billing-worker');
    assert.equal(granted.status, 200);
    const rotated = (await granted.json()) as TokenResponse;
    assert.deepEqual(decodeJwt(rotated.access_token).cnf, { spiffe_id: spiffe('billing-worker') });
    // And the rotated refresh token is bound the same way.
    assert.equal((await refresh(client, rotated.refresh_token!, 'other-worker')).status, 400);
  });

  test('a client registered with a bound_identity that is not a workload identity is refused with invalid_client_metadata', async () => {
    for (const bound of ['not-a-spiffe-id', `${spiffe('billing-worker')}/`, spiffe('Billing-Worker'), 'spiffe://cluster.local/ns/auth-platform/sa/billing-worker?x=1', 'spiffe://cluster.local/billing-worker']) {
      const response = await createClient({ bound_identity: bound });
      assert.equal(response.status, 400, bound);
      assert.equal(((await response.json()) as { code: string }).code, 'invalid_client_metadata', bound);
    }
    const plain = (await (await createClient({})).json()) as TestClient;
    const patched = await internal('authctl', 'PATCH', `/admin/clients/${plain.client_id}`, { bound_identity: 'not-a-spiffe-id' });
    assert.equal(patched.status, 400);
    assert.equal(((await patched.json()) as { code: string }).code, 'invalid_client_metadata');
  });

  test('a binding written in the Linkerd form is stored in the SPIFFE form tokens carry', async () => {
    const response = await createClient({ bound_identity: 'billing-worker.auth-platform.serviceaccount.identity.linkerd.cluster.local' });
    assert.equal(response.status, 201);
    assert.equal(((await response.json()) as { bound_identity: string }).bound_identity, spiffe('billing-worker'));
  });

  test('a binding stored before it was validated, naming no workload, gets no tokens from any path', async () => {
    const client = (await (await createClient({})).json()) as TestClient;
    await ts.store.clients.update(client.client_id, { boundIdentity: 'not-a-spiffe-id' });
    const issued = await internal('login-service', 'POST', '/internal/tokens', { subject: 'user-1', client_id: client.client_id });
    assert.equal(issued.status, 400);
    assert.equal(((await issued.json()) as { code: string }).code, 'unauthorized_client');
  });
});
