import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import {
  ConfigError, createHttpApp, createServiceMetrics, forwardedChain, loadConfig, Readiness, type ProxyTrust,
} from '../../src/platform/index.js';
import { requestFrom } from '../support/from-address.js';
import { capturingLogger } from '../support/log-capture.js';

function trustFrom(value: string): { edge: ProxyTrust; tokenService: ProxyTrust } {
  const config = loadConfig({ EDGE_TRUST_PROXY: value, TOKEN_SERVICE_TRUST_PROXY: value });
  return { edge: config.edge.trustProxy, tokenService: config.tokenService.trustProxy };
}

function refusal(value: string): string[] {
  try {
    loadConfig({ EDGE_TRUST_PROXY: value, TOKEN_SERVICE_TRUST_PROXY: value });
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems.map((problem) => `${problem.variable}: ${problem.message}`).sort();
  }
  assert.fail(`${value} was accepted`);
}

describe('EDGE_TRUST_PROXY and TOKEN_SERVICE_TRUST_PROXY', () => {
  it('trust no proxy by default, and with false or 0', () => {
    assert.deepEqual(loadConfig({}).edge.trustProxy, { kind: 'none' });
    assert.deepEqual(loadConfig({}).tokenService.trustProxy, { kind: 'none' });
    assert.deepEqual(trustFrom('false').edge, { kind: 'none' });
    assert.deepEqual(trustFrom('0').tokenService, { kind: 'none' });
  });

  it('read a hop count', () => {
    assert.deepEqual(trustFrom('2'), { edge: { kind: 'hops', hops: 2 }, tokenService: { kind: 'hops', hops: 2 } });
  });

  it('read a list of addresses and CIDRs, IPv4 and IPv6', () => {
    assert.deepEqual(trustFrom(' 10.0.0.0/8, 127.0.0.1 ,fd00::/8').edge, {
      kind: 'addresses',
      ranges: [
        { address: '10.0.0.0', prefix: 8, family: 'ipv4' },
        { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
        { address: 'fd00::', prefix: 8, family: 'ipv6' },
      ],
    });
  });

  it('refuse `true`, which trusted every hop and let the client pick its address, naming both variables and the new forms', () => {
    const problems = refusal('true');
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^EDGE_TRUST_PROXY: no longer accepted: it trusted every hop.*a hop count such as 1.*10\.0\.0\.0\/8/);
    assert.match(problems[1]!, /^TOKEN_SERVICE_TRUST_PROXY: no longer accepted/);
  });

  it('refuse malformed entries, out-of-range prefixes and absurd hop counts', () => {
    for (const value of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1,', '::1/129', '10.0.0.0/x', '11', 'yes']) {
      assert.equal(refusal(value).length, 2, value);
    }
  });
});

/** An app that answers with the client address it resolved, and a listener to reach it over real sockets. */
async function resolvingApp(trustProxy: ProxyTrust): Promise<{ app: FastifyInstance; url: string }> {
  const app = createHttpApp({
    logger: capturingLogger('client-address-test').logger,
    metrics: createServiceMetrics('client-address-test', { defaultMetrics: false }),
    readiness: new Readiness(),
    trustProxy,
  });
  app.get('/whoami', async (request) => ({ ip: request.ip, forwardedFor: forwardedChain(request.ips, request.ip) }));
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

/** Asks `/whoami` from a loopback `source` address with these X-Forwarded-For header lines. */
async function whoami(url: string, source: string, forwardedFor?: string | string[]): Promise<{ status: number; ip?: string; forwardedFor?: string; code?: string }> {
  const response = await requestFrom(source, `${url}/whoami`, { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } });
  return { status: response.status, ...(JSON.parse(response.text) as { ip?: string; forwardedFor?: string; code?: string }) };
}

describe('the client address behind trusted proxies (request.ip)', () => {
  const apps: FastifyInstance[] = [];
  let none: string;
  let oneHop: string;
  let twoHops: string;
  let proxyRange: string;

  before(async () => {
    const started = await Promise.all([
      resolvingApp({ kind: 'none' }),
      resolvingApp({ kind: 'hops', hops: 1 }),
      resolvingApp({ kind: 'hops', hops: 2 }),
      resolvingApp({ kind: 'addresses', ranges: [{ address: '127.0.0.0', prefix: 30, family: 'ipv4' }] }),
    ]);
    apps.push(...started.map((s) => s.app));
    [none, oneHop, twoHops, proxyRange] = started.map((s) => s.url) as [string, string, string, string];
  });
  after(async () => {
    for (const app of apps) await app.close();
  });

  it('without trust, is the peer whatever X-Forwarded-For says', async () => {
    assert.deepEqual(await whoami(none, '127.0.0.2', '1.2.3.4'), { status: 200, ip: '127.0.0.2', forwardedFor: '127.0.0.2' });
  });

  it('with one hop, is the right-most entry: what the proxy saw, not what the client prepended', async () => {
    assert.deepEqual(await whoami(oneHop, '127.0.0.1', '1.2.3.4, 203.0.113.5'), { status: 200, ip: '203.0.113.5', forwardedFor: '203.0.113.5, 127.0.0.1' });
    assert.equal((await whoami(oneHop, '127.0.0.1')).ip, '127.0.0.1', 'no header: the peer');
  });

  it('with two hops, is the second entry from the right', async () => {
    assert.deepEqual(await whoami(twoHops, '127.0.0.1', '1.2.3.4, 203.0.113.5, 10.0.0.2'), {
      status: 200, ip: '203.0.113.5', forwardedFor: '203.0.113.5, 10.0.0.2, 127.0.0.1',
    });
  });

  it('combines repeated X-Forwarded-For header lines in order, so a client line cannot stand in for the proxy\'s', async () => {
    assert.equal((await whoami(oneHop, '127.0.0.1', ['1.2.3.4', '203.0.113.5'])).ip, '203.0.113.5');
    assert.equal((await whoami(twoHops, '127.0.0.1', ['1.2.3.4', '203.0.113.5, 10.0.0.2'])).ip, '203.0.113.5');
  });

  it('with an address list, walks left over listed proxies and stops at the first other address', async () => {
    // 127.0.0.1 and 127.0.0.2 are proxies (127.0.0.0/30); 198.51.100.7 is the client.
    assert.deepEqual(await whoami(proxyRange, '127.0.0.1', '1.2.3.4, 198.51.100.7, 127.0.0.2'), {
      status: 200, ip: '198.51.100.7', forwardedFor: '198.51.100.7, 127.0.0.2, 127.0.0.1',
    });
  });

  it('with an address list, ignores X-Forwarded-For from a peer that is not a listed proxy', async () => {
    assert.deepEqual(await whoami(proxyRange, '127.0.0.5', '1.2.3.4'), { status: 200, ip: '127.0.0.5', forwardedFor: '127.0.0.5' });
  });

  it('refuses with 400 invalid_forwarded_for when a trusted hop reports something that is not an address', async () => {
    for (const [url, header] of [[oneHop, '1.2.3.4, not-an-address'], [twoHops, 'garbage, 203.0.113.5'], [twoHops, '1.2.3.4, junk'], [proxyRange, '1.2.3.4:5678, 127.0.0.2']] as const) {
      const answer = await whoami(url, '127.0.0.1', header);
      assert.equal(answer.status, 400, header);
      assert.equal(answer.code, 'invalid_forwarded_for', header);
    }
  });
});

describe('forwardedChain', () => {
  it('lists the client, the trusted hops and the peer, left to right', () => {
    assert.equal(forwardedChain(['127.0.0.1', '10.0.0.2', '203.0.113.5'], '203.0.113.5'), '203.0.113.5, 10.0.0.2, 127.0.0.1');
    assert.equal(forwardedChain(undefined, '127.0.0.2'), '127.0.0.2');
  });
});
