import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { SIGNING_ALGORITHMS } from '../../src/platform/index.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

for (const alg of SIGNING_ALGORITHMS) {
  describe(`access tokens signed with ${alg}`, () => {
    let ts: TestTokenService;
    before(async () => {
      ts = await startTestTokenService({ env: { AUTH_SIGNING_ALG: alg } });
    });
    after(() => ts.close());

    test('verify with jose through createRemoteJWKSet and carry the RFC 9068 claims', async () => {
      const client = await ts.createClient({ scopes: ['read', 'write'], audiences: ['https://api.example'] });
      const response = await ts.clientCredentials(client, { scope: 'read' });
      const jwks = createRemoteJWKSet(new URL(`${ts.url}/.well-known/jwks.json`));
      const { payload, protectedHeader } = await jwtVerify(response.access_token, jwks, {
        issuer: ts.issuer, audience: 'https://api.example', typ: 'at+jwt', algorithms: [alg],
      });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(payload.sub, client.client_id);
      assert.equal(payload.client_id, client.client_id);
      assert.equal(payload.scope, 'read');
      assert.equal(typeof payload.jti, 'string');
      assert.equal(payload.exp! - payload.iat!, response.expires_in);
    });
  });
}
