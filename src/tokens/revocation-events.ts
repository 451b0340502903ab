/** What a revocation names: one token (jti), a refresh family (sid), an epoch, or a signing key. */
export type RevocationKind = 'jti' | 'family' | 'epoch' | 'key';

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
