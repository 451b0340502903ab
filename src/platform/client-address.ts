import { BlockList, isIP } from 'node:net';
import type { ProxyTrust } from './config/proxy-trust.js';

/**
 * Whether the address at `hop` may report the one before it. Hop 0 is the socket peer, hop 1 the
 * right-most `X-Forwarded-For` entry, and so on leftwards; Fastify (through proxy-addr) walks the
 * chain with it and takes the first untrusted address as `request.ip`, so every limit, log line
 * and audit entry sees the same client address.
 *
 * A function rather than Fastify's own forms: Fastify 5 reads a numeric `trustProxy` as "trust
 * nothing" (a hop count alone cannot vouch for the peer), and `true` trusts every hop, which hands
 * the client the left-most entry. An entry that is not an IP address is never trusted, so the
 * walk stops at it, and `createHttpApp` refuses the request (400 `invalid_forwarded_for`).
 */
export function proxyTrustPredicate(trust: ProxyTrust): ((address: string, hop: number) => boolean) | false {
  switch (trust.kind) {
    case 'none':
      return false;
    case 'hops':
      return (address, hop) => hop < trust.hops && isIP(address) !== 0;
    case 'addresses': {
      const proxies = new BlockList();
      for (const range of trust.ranges) proxies.addSubnet(range.address, range.prefix, range.family);
      return (address, _hop) => {
        const version = isIP(address);
        // BlockList matches IPv4-mapped IPv6 peers (::ffff:10.0.0.1) against IPv4 ranges too.
        return version !== 0 && proxies.check(address, version === 4 ? 'ipv4' : 'ipv6');
      };
    }
  }
}

/**
 * The `X-Forwarded-For` an outgoing hop sends: the client, the addresses the trusted proxies
 * reported, and the peer, left to right. Nothing the client wrote beyond the trusted part is kept.
 * `ips` is Fastify's `request.ips` (peer first, client last), absent when no proxy is trusted.
 */
export function forwardedChain(ips: readonly string[] | undefined, ip: string): string {
  return ips === undefined ? ip : [...ips].reverse().join(', ');
}
