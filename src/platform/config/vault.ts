import type { EnvReader } from './env-reader.js';

export const VAULT_AUTH_METHODS = ['token', 'approle', 'kubernetes'] as const;
export type VaultAuthMethod = (typeof VAULT_AUTH_METHODS)[number];

/** How the service proves itself to Vault. Secret-bearing values are read from env or from a file at login time. */
export type VaultAuthConfig =
  | { method: 'token'; token: string }
  | {
      method: 'approle';
      mount: string;
      roleId: { value: string } | { file: string };
      secretId: { value: string } | { file: string };
    }
  | { method: 'kubernetes'; mount: string; role: string; jwtFile: string };

export interface VaultConfig {
  /** VAULT_ADDR, without a trailing slash. */
  addr: string;
  /** VAULT_CACERT: a PEM file of the CA that signed Vault's certificate. */
  caCertFile: string | undefined;
  /** VAULT_NAMESPACE (Vault Enterprise / HCP), sent as X-Vault-Namespace. */
  namespace: string | undefined;
  auth: VaultAuthConfig;
  /** KV v2 mount and the prefix under it: logical `jwt/signing-keys/k1` → `secret/auth-platform/jwt/signing-keys/k1`. */
  kvMount: string;
  kvPrefix: string;
  /** Database secrets engine mount and role; no role means no dynamic database credentials. */
  databaseMount: string;
  databaseRole: string | undefined;
  /** How long the last good secrets keep serving while Vault is sealed or unreachable. */
  gracePeriodMs: number;
  /** One Vault request, connect to last byte; a hanging Vault counts as unreachable after this. */
  requestTimeoutMs: number;
  /**
   * Reconnect and retry backoff: starts at min, doubles, never exceeds max. The max stays small
   * (2 s) because the reconnect probe is a cheap sys/health and the runbook promises that an
   * unseal brings the services back within 5 s.
   */
  backoffMinMs: number;
  backoffMaxMs: number;
  /** How often sys/health is probed while Vault is up, so an outage is noticed without traffic. */
  healthIntervalMs: number;
  /** How often the database lease is looked up, so a lease revoked from outside is replaced within seconds. */
  leaseCheckIntervalMs: number;
}

const MOUNT = /^[A-Za-z0-9][A-Za-z0-9_.-]*(\/[A-Za-z0-9][A-Za-z0-9_.-]*)*$/;

/**
 * Vault's own variables (VAULT_ADDR, VAULT_TOKEN, VAULT_CACERT, VAULT_NAMESPACE) plus ours.
 * Read only when SECRETS_PROVIDER=vault (or when a caller such as authctl asks for it).
 */
export function readVaultConfig(env: EnvReader, options: { force?: boolean } = {}): VaultConfig | undefined {
  if (!options.force && env.raw('SECRETS_PROVIDER') !== 'vault') return undefined;
  const addr = env.url('VAULT_ADDR');
  if (addr === undefined && env.raw('VAULT_ADDR') === undefined) env.fail('VAULT_ADDR', 'is required when SECRETS_PROVIDER=vault');
  const backoffMinMs = env.duration('VAULT_BACKOFF_MIN', '250ms', { minMs: 10 });
  const backoffMaxMs = env.duration('VAULT_BACKOFF_MAX', '2s', { minMs: 10 });
  if (backoffMaxMs < backoffMinMs) env.fail('VAULT_BACKOFF_MAX', 'must be at least VAULT_BACKOFF_MIN');
  return {
    addr: addr ?? '',
    caCertFile: env.string('VAULT_CACERT'),
    namespace: env.string('VAULT_NAMESPACE'),
    auth: readAuth(env),
    kvMount: mount(env, 'VAULT_KV_MOUNT', 'secret'),
    kvPrefix: mount(env, 'VAULT_KV_PREFIX', 'auth-platform'),
    databaseMount: mount(env, 'VAULT_DB_MOUNT', 'database'),
    databaseRole: env.raw('VAULT_DB_ROLE') === undefined ? undefined : mount(env, 'VAULT_DB_ROLE', ''),
    gracePeriodMs: env.duration('VAULT_GRACE_PERIOD', '5m', { minMs: 0 }),
    requestTimeoutMs: env.duration('VAULT_REQUEST_TIMEOUT', '5s', { minMs: 50 }),
    backoffMinMs,
    backoffMaxMs,
    healthIntervalMs: env.duration('VAULT_HEALTH_INTERVAL', '10s', { minMs: 50 }),
    leaseCheckIntervalMs: env.duration('VAULT_LEASE_CHECK_INTERVAL', '15s', { minMs: 50 }),
  };
}

function mount(env: EnvReader, name: string, fallback: string): string {
  const value = env.string(name, fallback).replace(/^\/+|\/+$/g, '');
  if (!MOUNT.test(value)) env.fail(name, `must be a Vault path such as ${fallback || 'my-role'} (got ${JSON.stringify(value)})`);
  return value;
}

function readAuth(env: EnvReader): VaultAuthConfig {
  const method = env.oneOf('VAULT_AUTH_METHOD', VAULT_AUTH_METHODS, 'token');
  if (method === 'approle') {
    return {
      method,
      mount: mount(env, 'VAULT_AUTH_MOUNT', 'approle'),
      roleId: valueOrFile(env, 'VAULT_ROLE_ID'),
      secretId: valueOrFile(env, 'VAULT_SECRET_ID'),
    };
  }
  if (method === 'kubernetes') {
    const role = env.string('VAULT_K8S_ROLE');
    if (role === undefined) env.fail('VAULT_K8S_ROLE', 'is required when VAULT_AUTH_METHOD=kubernetes');
    return {
      method,
      mount: mount(env, 'VAULT_AUTH_MOUNT', 'kubernetes'),
      role: role ?? '',
      jwtFile: env.string('VAULT_K8S_TOKEN_FILE', '/var/run/secrets/kubernetes.io/serviceaccount/token'),
    };
  }
  const token = env.secret('VAULT_TOKEN', 4);
  // A value too short is already reported by secret(); "required" is only for an unset one.
  if (env.raw('VAULT_TOKEN') === undefined) env.fail('VAULT_TOKEN', 'is required when VAULT_AUTH_METHOD=token');
  return { method, token: token ?? '' };
}

/** `NAME` holds the value itself, or `NAME_FILE` names a file holding it (a mounted secret). */
function valueOrFile(env: EnvReader, name: string): { value: string } | { file: string } {
  const value = env.secret(name, 1);
  const file = env.string(`${name}_FILE`);
  if (value !== undefined && file !== undefined) env.fail(name, `set either ${name} or ${name}_FILE, not both`);
  if (value !== undefined) return { value };
  if (file !== undefined) return { file };
  env.fail(name, `${name} or ${name}_FILE is required when VAULT_AUTH_METHOD=approle`);
  return { value: '' };
}
