import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { demoRoutes, startDemoUpstream } from '../../src/edge/index.js';
import { ensureDemoClient } from '../../src/token-service/index.js';
import { basicAuth, startTestTokenService } from '../support/token-service.js';
import { startTestEdge } from './edge-harness.js';

describe('the npm start demo: token-service, the edge and the demo upstream', () => {
  it('a demo-client token reaches the demo upstream through the edge, with its identity', async () => {
    const tokenService = await startTestTokenService();
    const upstream = await startDemoUpstream();
    const edge = await startTestEdge({ issuer: tokenService, bus: tokenService.store.bus, routes: demoRoutes(upstream.url, 'demo-api') });
    try {
      const demo = await ensureDemoClient(tokenService.service, 'demo-api');
      const tokenResponse = await fetch(`${tokenService.url}/oauth2/token`, {
        method: 'POST',
        headers: { authorization: basicAuth({ client_id: demo.clientId, client_secret: demo.secret }), 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      });
      assert.equal(tokenResponse.status, 200);
      const { access_token } = (await tokenResponse.json()) as { access_token: string };
      const response = await fetch(`${edge.url}/demo/hello`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { path: string; identity: { clientId: string; scopes: string } };
      assert.equal(body.path, '/hello');
      assert.equal(body.identity.clientId, demo.clientId);
      assert.match(body.identity.scopes, /\bdemo\.read\b/);
      const anonymous = await fetch(`${edge.url}/demo/hello`);
      assert.equal(anonymous.status, 401);
    } finally {
      await edge.close();
      await upstream.close();
      await tokenService.close();
    }
  });
});
