import { isIP } from 'node:net';
import { z } from 'zod';

/**
 * Which peers may report the client's address in `X-Forwarded-For`:
 * - `none`: the socket peer is the client;
 * - `hops`: exactly this many proxies stand in front, and every request passes through all of
 *   them (the network must not let clients reach the service around them);
 * - `addresses`: a peer in one of these ranges is a proxy; walking the header from the right, the
 *   first address outside them is the client.
 */
export type ProxyTrust =
  | { kind: 'none' }
  | { kind: 'hops'; hops: number }
  | { kind: 'addresses'; ranges: ReadonlyArray<{ address: string; prefix: number; family: 'ipv4' | 'ipv6' }> };

export const NO_PROXY_TRUST: ProxyTrust = { kind: 'none' };

/** More proxies than this in front of one service is a configuration mistake, not a topology. */
const MAX_HOPS = 10;

const FORMS = 'false, a hop count such as 1, or proxy addresses and CIDRs such as 10.0.0.0/8,127.0.0.1';

function parseRange(entry: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const slash = entry.indexOf('/');
  const address = slash < 0 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return undefined;
  const bits = version === 4 ? 32 : 128;
  const prefixText = slash < 0 ? String(bits) : entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  return { address, prefix: Number(prefixText), family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** `EDGE_TRUST_PROXY` / `TOKEN_SERVICE_TRUST_PROXY`: `false`, a hop count, or a list of addresses and CIDRs. */
function parseProxyTrust(text: string): ProxyTrust | string {
  const value = text.trim();
  if (/^(false|off|no|0)$/i.test(value)) return NO_PROXY_TRUST;
  // `true` used to trust every hop, which let a client write its own address as the left-most
  // X-Forwarded-For entry and pick its rate-limit bucket; it is refused rather than reinterpreted.
  if (/^(true|on|yes)$/i.test(value)) {
    return `no longer accepted: it trusted every hop, so a client could choose its own address; use ${FORMS}`;
  }
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= MAX_HOPS ? { kind: 'hops', hops } : `a hop count must be at most ${MAX_HOPS}`;
  }
  const ranges = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const range = parseRange(entry);
    if (range === undefined) return `${JSON.stringify(entry)} is not an IP address or CIDR; use ${FORMS}`;
    ranges.push(range);
  }
  return { kind: 'addresses', ranges };
}

export const proxyTrustSchema: z.ZodType<ProxyTrust> = z.string().transform((text, ctx) => {
  const parsed = parseProxyTrust(text);
  if (typeof parsed !== 'string') return parsed;
  ctx.addIssue({ code: 'custom', message: parsed });
  return z.NEVER;
});
