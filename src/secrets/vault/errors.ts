/**
 * What can go wrong talking to Vault, split the way the grace rule needs it: an outage
 * (sealed, unreachable, hanging, 5xx) is served from the grace cache; a refusal (4xx) is an
 * answer and is not. Messages carry the method, the path and Vault's own error strings,
 * never a token, a request body or a secret.
 */
export type OutageReason = 'sealed' | 'refused' | 'timeout' | 'network' | 'http_5xx' | 'uninitialized' | 'dr_secondary';

export class VaultOutageError extends Error {
  readonly code = 'vault_unavailable';
  constructor(readonly reason: OutageReason, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VaultOutageError';
  }
}

/** Vault answered 4xx: permission denied, not found, a lease it will not renew. */
export class VaultRequestError extends Error {
  readonly code: string = 'vault_request_failed';
  constructor(readonly status: number, readonly errors: readonly string[], message: string) {
    super(message);
    this.name = 'VaultRequestError';
  }
}

/**
 * A 403 that is not about the token: it still came after logging in again (or the token is
 * alive), so the token's policy does not grant `capability` on `path`. Nothing waiting or
 * retrying will fix it; the policy must.
 */
export class VaultPermissionError extends VaultRequestError {
  override readonly code = 'vault_permission_denied';
  constructor(readonly path: string, readonly capability: string, errors: readonly string[]) {
    super(403, errors, `Vault's policy for this token does not allow ${capability} on ${path} (403 with a valid token); grant it in the service's policy (deploy/vault/policies/)`);
    this.name = 'VaultPermissionError';
  }
}

export function isOutage(error: unknown): error is VaultOutageError {
  return error instanceof VaultOutageError;
}
