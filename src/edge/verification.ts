import type { AccessTokenClaims } from '../tokens/index.js';
import type { Refusal } from './errors.js';
import type { VerificationKey } from './keys/verification-key.js';

/** Forward-auth answers a proxy's question; proxy mode forwards the request itself. */
export type EdgeMode = 'forward_auth' | 'proxy';

/** What the edge knows about the request being decided, in either mode. */
export interface RequestFacts {
  method: string;
  /** Path without the query string. */
  path: string;
  host: string;
  ip: string;
  authorization: string | undefined;
  /** The DPoP proof header; unused until DPoP lands, carried so the pipeline has a place for it. */
  dpop: string | undefined;
  /** The caller's workload identity as the mesh established it; undefined without one. */
  callerSpiffeId: string | undefined;
}

/** The protected header fields the pipeline reads; anything else (jku, x5u, jwk) is ignored. */
export interface TokenHeader {
  alg: unknown;
  kid: unknown;
  typ: unknown;
  /** RFC 7515 critical extensions: none is understood, so any is refused. */
  crit: unknown;
}

/** A verified token as the verified-token cache keeps it. */
export interface VerifiedToken {
  claims: AccessTokenClaims;
  scopes: readonly string[];
  kid: string;
}

/** The state one request's checks fill in as the walk proceeds. */
export interface Verification {
  readonly request: RequestFacts;
  readonly nowSeconds: number;
  credential?: { scheme: 'Bearer'; token: string };
  header?: TokenHeader;
  key?: VerificationKey;
  payload?: Uint8Array;
  token?: VerifiedToken;
}

/** Ends the walk with success before the last check: an anonymous route with no credential. */
export const ACCEPT = Symbol('accept');

export type CheckResult = Refusal | typeof ACCEPT | undefined;

/**
 * One rule. Synchronous except where a rule must wait (signature verification, a kid miss):
 * the walker only awaits what is actually a promise, so the common path stays synchronous.
 */
export type Check = (verification: Verification) => CheckResult | Promise<CheckResult>;

/** Walks the prepared list; the first refusal (or ACCEPT) ends it. */
export async function runChecks(checks: readonly Check[], verification: Verification): Promise<Refusal | undefined> {
  for (const check of checks) {
    let result = check(verification);
    if (result instanceof Promise) result = await result;
    if (result === ACCEPT) return undefined;
    if (result !== undefined) return result;
  }
  return undefined;
}
