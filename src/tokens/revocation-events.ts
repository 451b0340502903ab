/**
 * What a revocation names: one token (jti), a refresh family (sid), an epoch, a signing key, or
 * every token one client was issued up to a cutoff (`client`, value from `clientRevocationValue`).
 */
export type RevocationKind = 'jti' | 'family' | 'epoch' | 'key' | 'client';

/** A `client` revocation: tokens whose `client_id` is `clientId` and `iat <= cutoff` (epoch seconds). */
export interface ClientRevocation {
  clientId: string;
  cutoff: number;
}

/**
 * `<cutoff>:<client_id>`. The cutoff is digits only, so the first `:` ends it and the client id
 * may hold anything, `:` included (the store's SQL reads the same format).
 */
export function clientRevocationValue(revocation: ClientRevocation): string {
  return `${revocation.cutoff}:${revocation.clientId}`;
}

export function parseClientRevocation(value: string): ClientRevocation | undefined {
  const match = /^(\d{1,15}):(.+)$/s.exec(value);
  return match === null ? undefined : { cutoff: Number(match[1]), clientId: match[2]! };
}

/** The bus channel token-service publishes revocations on; edges subscribe to it. */
export const REVOCATION_CHANNEL = 'auth-platform.revocations';
/** The bus channel for key-ring changes (a key published, activated or retired). */
export const KEY_CHANNEL = 'auth-platform.keys';

/**
 * One revocation, identical on the bus and in the pull feed (`GET /internal/revocations?since=`).
 * `seq` orders the feed, so an edge that missed events asks for everything after its last seq.
 */
export interface RevocationEvent {
  seq: number;
  kind: RevocationKind;
  value: string;
  /** ISO time after which the entry no longer matters (everything it revokes has expired). */
  expiresAt: string | null;
}

export interface KeyEvent {
  type: 'published' | 'retired';
  kid: string;
}
