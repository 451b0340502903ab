import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { fetch } from 'undici';
import { basicAuth, type TestClient, type TestTokenService } from '../support/token-service.js';
import { spiffe, startMeshTokenService, type MeshTokenService } from './support.js';

describe('token-service under native mTLS', () => {
  let mesh: MeshTokenService;
  let ts: TestTokenService;
  /** A client presenting the certificate of `serviceAccount`, or none. */
  const as = (serviceAccount?: string) => mesh.as(serviceAccount);

  before(async () => {
    mesh = await startMeshTokenService({
      dirPrefix: 'mtls-',
      serviceAccounts: ['token-service', 'auth-edge-service', 'authctl', 'billing-worker', 'other-worker'],
    });
    ts = mesh.ts;
  });
  after(() => mesh?.close());

  const admin = (serviceAccount: string | undefined, path: string, init: { method?: string; body?: unknown } = {}) =>
    fetch(ts.internalUrl + path, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${ts.adminToken}`, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      dispatcher: as(serviceAccount),
    });

  const token = (client: TestClient, serviceAccount: string | undefined) =>
    fetch(`${ts.url}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
      body: 'grant_type=client_credentials',
      dispatcher: as(serviceAccount),
    });

  async function createBoundClient(): Promise<TestClient> {
    const response = await admin('authctl', '/admin/clients', {
      method: 'POST',
      body: { name: 'billing', scopes: ['read'], audiences: ['api'], bound_identity: spiffe('billing-worker') },
    });
    assert.equal(response.status, 201);
    return (await response.json()) as TestClient;
  }

  test('the internal listener refuses a caller without a client certificate in the TLS handshake', async () => {
    await assert.rejects(admin(undefined, '/admin/keys'));
  });

  test('the admin API answers authctl and refuses another workload with identity_not_allowed', async () => {
    assert.equal((await admin('authctl', '/admin/keys')).status, 200);
    const refused = await admin('auth-edge-service', '/admin/keys');
    assert.equal(refused.status, 403);
    assert.equal(((await refused.json()) as { code: string }).code, 'identity_not_allowed');
  });

  test('the revocation feed answers the edge and refuses other workloads', async () => {
    const feed = (serviceAccount: string) =>
      fetch(`${ts.internalUrl}/internal/revocations?since=0`, {
        headers: { authorization: `Bearer ${ts.revocationFeedToken}` },
        dispatcher: as(serviceAccount),
      });
    assert.equal((await feed('auth-edge-service')).status, 200);
    assert.equal((await feed('billing-worker')).status, 403);
  });

  test('an identity-bound client gets a token only from its own workload, and the token records the binding', async () => {
    const client = await createBoundClient();
    const granted = await token(client, 'billing-worker');
    assert.equal(granted.status, 200);
    const claims = decodeJwt(((await granted.json()) as { access_token: string }).access_token);
    assert.deepEqual(claims.cnf, { spiffe_id: spiffe('billing-worker') });
  });

  test('an identity-bound client calling from another workload, or with no certificate, is refused a token', async () => {
    const client = await createBoundClient();
    for (const caller of ['other-worker', undefined]) {
      const refused = await token(client, caller);
      assert.equal(refused.status, 400, `caller ${caller ?? 'without certificate'}`);
      assert.equal(((await refused.json()) as { error: string }).error, 'unauthorized_client');
    }
  });

  test('an unbound client still gets tokens from any caller, without a binding claim', async () => {
    const response = await admin('authctl', '/admin/clients', { method: 'POST', body: { name: 'plain', scopes: ['read'], audiences: ['api'] } });
    const client = (await response.json()) as TestClient;
    const granted = await token(client, undefined);
    assert.equal(granted.status, 200);
    assert.equal(decodeJwt(((await granted.json()) as { access_token: string }).access_token).cnf, undefined);
  });
});
