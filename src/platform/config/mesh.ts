import { join } from 'node:path';
import type { EnvReader } from './env-reader.js';
import type { ListenerScheme } from './listener-url.js';
import { DEFAULT_DATA_DIR } from './platform.js';
// The identity grammar is a dependency-free leaf of src/mesh; reading it here lets a bad allowlist
// entry fail at start naming its variable, like every other setting. Nothing else of mesh is imported.
import { ALLOWLIST_ENTRY_FORMS, parseAllowlistEntry } from '../../mesh/allowlist.js';
import { isKubernetesName, isTrustDomain } from '../../mesh/identity.js';

export const MESH_MODES = ['none', 'native', 'linkerd'] as const;
export type MeshMode = (typeof MESH_MODES)[number];

/** Our listeners serve TLS only with native mTLS; under Linkerd the proxies do, and the services speak plain HTTP. */
export function listenerScheme(mode: MeshMode): ListenerScheme {
  return mode === 'native' ? 'https' : 'http';
}

/** The Kubernetes service account, and so the identity, of each workload (see deploy/k8s). */
export const SERVICE_ACCOUNTS = {
  tokenService: 'token-service',
  edge: 'auth-edge-service',
  ctl: 'authctl',
} as const;

/** Internal endpoint groups, each with its own allowlist variable `MESH_ALLOW_<GROUP>`. */
export const INTERNAL_ENDPOINTS = ['introspect', 'revocations', 'issue', 'admin'] as const;
export type InternalEndpoint = (typeof INTERNAL_ENDPOINTS)[number];

export interface MeshConfig {
  /** `none`: no service identity (internal listeners trust loopback only); `native`: our own mTLS; `linkerd`: the mesh's. */
  mode: MeshMode;
  trustDomain: string;
  /** The namespace the default allowlists name. */
  namespace: string;
  /**
   * Where `authctl certs issue` writes and where each service finds `<service-account>.crt|.key`
   * and `ca.crt` by default: `<AUTH_DATA_DIR>/certs`, beside the rest of the embedded state.
   */
  certDir: string;
  /** Explicit files override the per-service defaults in `certDir` (one service per process, as in Kubernetes). */
  certFile: string | undefined;
  keyFile: string | undefined;
  caFile: string | undefined;
  /** A certificate this close to its not-after makes readiness degraded and is logged. */
  certExpiryWarningMs: number;
  /** Allowlist entries per internal endpoint group, validated, in the operator's spelling. */
  allow: Record<InternalEndpoint, string[]>;
}

export function readMeshConfig(env: EnvReader): MeshConfig {
  const mode = env.oneOf('MESH', MESH_MODES, 'none');
  const trustDomain = env.string('MESH_TRUST_DOMAIN', 'cluster.local');
  if (!isTrustDomain(trustDomain)) env.fail('MESH_TRUST_DOMAIN', 'must be lowercase DNS labels joined by dots, such as cluster.local');
  const namespace = env.string('MESH_NAMESPACE', 'auth-platform');
  if (!isKubernetesName(namespace)) env.fail('MESH_NAMESPACE', 'must be a Kubernetes namespace name (lowercase DNS label)');

  const spiffe = (sa: string) => `spiffe://${trustDomain}/ns/${namespace}/sa/${sa}`;
  const defaults: Record<InternalEndpoint, string[]> = {
    introspect: [spiffe(SERVICE_ACCOUNTS.edge)],
    revocations: [spiffe(SERVICE_ACCOUNTS.edge)],
    // Nobody may mint tokens through the internal issue API until an operator names the caller.
    issue: [],
    admin: [spiffe(SERVICE_ACCOUNTS.ctl)],
  };
  const allow = Object.fromEntries(
    INTERNAL_ENDPOINTS.map((endpoint) => [endpoint, readAllowlist(env, `MESH_ALLOW_${endpoint.toUpperCase()}`, defaults[endpoint])]),
  ) as Record<InternalEndpoint, string[]>;

  return {
    mode,
    trustDomain,
    namespace,
    certDir: env.string('MESH_CERT_DIR', join(env.string('AUTH_DATA_DIR', DEFAULT_DATA_DIR), 'certs')),
    certFile: env.string('MESH_CERT_FILE'),
    keyFile: env.string('MESH_KEY_FILE'),
    caFile: env.string('MESH_CA_FILE'),
    certExpiryWarningMs: env.duration('MESH_CERT_EXPIRY_WARNING', '7d'),
    allow,
  };
}

/** Comma-separated entries; `none` is an explicit empty list, unset keeps the default. */
function readAllowlist(env: EnvReader, name: string, fallback: string[]): string[] {
  const value = env.raw(name);
  if (value === undefined) return fallback;
  if (value.trim() === 'none') return [];
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e.length > 0);
  for (const entry of entries) {
    if (parseAllowlistEntry(entry) === undefined) {
      env.fail(name, `${JSON.stringify(entry)} is not ${ALLOWLIST_ENTRY_FORMS}`);
    }
  }
  return entries;
}
