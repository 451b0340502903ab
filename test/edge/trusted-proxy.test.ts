import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemoUpstream, type DemoUpstream } from '../../src/edge/index.js';
import { requestFrom } from '../support/from-address.js';
import { startForwardingProxy } from '../support/nginx/forwarding-proxy.js';
import { findNginx, type NginxServer } from '../support/nginx/nginx-server.js';
import { startEdgeWithIssuer, type EdgeWithIssuer } from './edge-harness.js';

const nginx = findNginx();
const skip = nginx === undefined ? 'nginx is not installed (Debian package `nginx`: apt-get install -y nginx)' : false;

/**
 * Real proxy chains in front of the edge, each client on its own loopback address (127.0.0.x),
 * nginx on 127.0.0.1 appending what it saw to X-Forwarded-For. The per-IP limit is 2 a minute,
 * so a third request from one client is refused; each test uses fresh client addresses.
 */
interface Chain {
  setup: EdgeWithIssuer;
  /** Where clients connect: the outermost nginx. */
  entry: string;
  close(): Promise<void>;
}

let demo: DemoUpstream;

async function startChain(trustProxy: string, hops: number): Promise<Chain> {
  const setup = await startEdgeWithIssuer({
    routes: [{ name: 'public', pathPrefix: '/public', upstream: demo.url, policy: { anonymous: true } }],
    env: { EDGE_TRUST_PROXY: trustProxy, EDGE_RATE_LIMIT_IP: '2/1m' },
  });
  const proxies: NginxServer[] = [];
  try {
    let next = setup.edge.url;
    for (let hop = 0; hop < hops; hop += 1) {
      proxies.unshift(await startForwardingProxy(nginx!, next));
      next = proxies[0]!.url;
    }
  } catch (error) {
    for (const proxy of proxies) await proxy.close();
    await setup.close();
    throw error;
  }
  return {
    setup,
    entry: proxies[0]?.url ?? setup.edge.url,
    async close() {
      for (const proxy of proxies) await proxy.close();
      await setup.close();
    },
  };
}

/** Three requests from `client`, each with a different forged X-Forwarded-For: the statuses. */
async function rotateForgedAddresses(url: string, client: string): Promise<number[]> {
  const statuses = [];
  for (const forged of ['1.2.3.4', '1.2.3.5', '1.2.3.6']) {
    statuses.push((await requestFrom(client, `${url}/public/items`, { headers: { 'x-forwarded-for': forged } })).status);
  }
  return statuses;
}

/** The address the edge logged on its rate-limit refusals. */
function limitedAddresses(setup: EdgeWithIssuer): string[] {
  return setup.edge.logs
    .map((line) => JSON.parse(line) as { msg?: string; code?: string; remote?: string })
    .filter((entry) => entry.msg === 'edge: request refused' && entry.code === 'rate_limited')
    .map((entry) => entry.remote ?? '');
}

async function upstreamSaw(url: string, client: string, forwardedFor: string): Promise<string> {
  const response = await requestFrom(client, `${url}/public/echo`, { headers: { 'x-forwarded-for': forwardedFor } });
  assert.equal(response.status, 200, response.text);
  return String((JSON.parse(response.text) as { headers: Record<string, string> }).headers['x-forwarded-for']);
}

describe('the edge behind real proxies resolves the client address from trusted hops only', { skip }, () => {
  before(async () => {
    demo = await startDemoUpstream();
  });
  after(() => demo?.close());

  describe('one nginx in front, EDGE_TRUST_PROXY=1', () => {
    let chain: Chain;
    before(async () => {
      chain = await startChain('1', 1);
    });
    after(() => chain?.close());

    it('limits a client that rotates forged X-Forwarded-For values by the address nginx saw', async () => {
      assert.deepEqual(await rotateForgedAddresses(chain.entry, '127.0.0.2'), [200, 200, 429]);
      assert.deepEqual(limitedAddresses(chain.setup), ['127.0.0.2']);
    });

    it('gives another client behind the same nginx its own bucket, not nginx\'s', async () => {
      assert.deepEqual(await rotateForgedAddresses(chain.entry, '127.0.0.3'), [200, 200, 429]);
    });

    it('forwards only the trusted part of X-Forwarded-For: the client nginx saw, then nginx', async () => {
      assert.equal(await upstreamSaw(chain.entry, '127.0.0.4', '1.2.3.4'), '127.0.0.4, 127.0.0.1');
    });
  });

  describe('two nginx in front, EDGE_TRUST_PROXY=2', () => {
    let chain: Chain;
    before(async () => {
      chain = await startChain('2', 2);
    });
    after(() => chain?.close());

    it('limits a client that rotates forged X-Forwarded-For values by the address the outer nginx saw', async () => {
      assert.deepEqual(await rotateForgedAddresses(chain.entry, '127.0.0.6'), [200, 200, 429]);
      assert.deepEqual(await rotateForgedAddresses(chain.entry, '127.0.0.7'), [200, 200, 429]);
      assert.deepEqual(limitedAddresses(chain.setup), ['127.0.0.6', '127.0.0.7']);
    });

    it('forwards the client and both proxies, and nothing the client wrote', async () => {
      assert.equal(await upstreamSaw(chain.entry, '127.0.0.8', '1.2.3.4, 5.6.7.8'), '127.0.0.8, 127.0.0.1, 127.0.0.1');
    });
  });

  describe('nginx named by address, EDGE_TRUST_PROXY=127.0.0.1/32', () => {
    let chain: Chain;
    before(async () => {
      chain = await startChain('127.0.0.1/32', 1);
    });
    after(() => chain?.close());

    it('limits a client behind nginx by the address nginx saw', async () => {
      assert.deepEqual(await rotateForgedAddresses(chain.entry, '127.0.0.9'), [200, 200, 429]);
    });

    it('limits a client that bypasses nginx by its own address, whatever it writes in X-Forwarded-For', async () => {
      assert.deepEqual(await rotateForgedAddresses(chain.setup.edge.url, '127.0.0.10'), [200, 200, 429]);
      assert.deepEqual(limitedAddresses(chain.setup), ['127.0.0.9', '127.0.0.10']);
      assert.equal(await upstreamSaw(chain.setup.edge.url, '127.0.0.11', '1.2.3.4'), '127.0.0.11');
    });
  });
});
