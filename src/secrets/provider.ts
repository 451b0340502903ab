import type { DependencyStatus } from '../platform/index.js';

/** A secret document: string fields, as Vault's KV engine stores them. */
export type SecretData = Record<string, string>;

/** A lease a provider holds (Vault database credentials), as operators see it: identifiers and times, never the password. */
export interface LeaseView {
  leaseId: string;
  /** The database secrets engine role it was issued for. */
  role: string;
  databaseUser: string;
  issuedAt: string;
  /** null until the first renewal. */
  lastRenewal: string | null;
  expiresAt: string;
  /** Seconds left, as this service last learned it from Vault. */
  ttlS: number;
  /** false once Vault will not extend it (max TTL): it is replaced before it ends. */
  renewable: boolean;
}

/**
 * Where key material and credentials come from. Paths are logical (`jwt/signing-keys/<kid>`);
 * each provider maps them onto its own storage (an encrypted file, a Vault KV v2 mount).
 */
export interface SecretsProvider {
  readonly kind: 'local' | 'vault';
  /** The secret at `path`, or undefined when none is stored there. */
  read(path: string): Promise<SecretData | undefined>;
  write(path: string, data: SecretData): Promise<void>;
  /** Readiness: `degraded` while serving from a grace cache, `down` when secrets cannot be had. */
  status(): DependencyStatus;
  /** The leases it holds and keeps renewed (none for the local provider). */
  leases(): LeaseView[];
  close(): Promise<void>;
}

/** Thrown when a secret is needed and the provider cannot supply it; callers answer 503 `secrets_unavailable`. */
export class SecretsUnavailableError extends Error {
  readonly code = 'secrets_unavailable';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SecretsUnavailableError';
  }
}

/**
 * Logical paths must be plain: no traversal, no surprises when mapped to a file or a URL. A
 * segment may start with `_` or `-` (base64url key ids do), never with a dot.
 */
export const SECRET_PATH = /^[a-z0-9_-][a-z0-9_.-]*(\/[a-z0-9_-][a-z0-9_.-]*)*$/i;

export function assertSecretPath(path: string): void {
  if (!SECRET_PATH.test(path) || path.includes('..')) throw new Error(`invalid secret path: ${path}`);
}
