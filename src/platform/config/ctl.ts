import { join } from 'node:path';
import { readEdgeConfig } from './edge.js';
import { EnvReader, type Env } from './env-reader.js';
import { listenerUrl } from './listener-url.js';
import { listenerScheme, readMeshConfig, type MeshConfig } from './mesh.js';
import { readPlatformConfig } from './platform.js';
import { readTokenServiceConfig } from './token-service.js';

/**
 * Where the admin token comes from, kept so that a refused token can say which one it was. In
 * order: `--admin-token-file`, `AUTHCTL_ADMIN_TOKEN_FILE`, `AUTH_ADMIN_TOKEN` (what token-service
 * itself uses when set), else the file token-service writes, `AUTH_DATA_DIR/admin-token`.
 */
export type AdminTokenSource =
  | { from: 'AUTH_ADMIN_TOKEN'; token: string }
  | { from: '--admin-token-file' | 'AUTHCTL_ADMIN_TOKEN_FILE' | 'AUTH_DATA_DIR'; file: string };

/** What authctl needs to find and reach the platform it operates. */
export interface CtlConfig {
  /** token-service's internal listener (admin API, its /readyz). */
  tokenServiceUrl: string;
  /** auth-edge-service (its /readyz). */
  edgeUrl: string;
  /** Unless `--admin-token-file` names another file. */
  adminToken: AdminTokenSource;
  /** The services' mesh settings: under `native`, authctl presents `authctl.crt` and trusts the CA bundle. */
  mesh: MeshConfig;
  /** The services' Redis (REDIS_URL), which `authctl status` checks itself. */
  redisUrl: string | undefined;
}

/** A service listening on every address is reached on loopback from the same machine. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

/**
 * authctl's configuration from the same variables, read by the same readers, as the services':
 * run with the services' environment it finds their ports, scheme, data directory and
 * certificates. Its own `AUTHCTL_*` variables override what it derives.
 */
export function loadCtlConfig(variables: Env): CtlConfig {
  const env = new EnvReader(variables);
  const platform = readPlatformConfig(env);
  const mesh = readMeshConfig(env);
  const scheme = listenerScheme(mesh.mode);
  const tokenService = readTokenServiceConfig(env, scheme);
  const edge = readEdgeConfig(env, scheme);
  const tokenServiceUrl = env.url('AUTHCTL_URL', listenerUrl(scheme, reachableHost(tokenService.internalHost), tokenService.internalPort));
  const edgeUrl = env.url('AUTHCTL_EDGE_URL', listenerUrl(scheme, reachableHost(edge.host), edge.port));
  const tokenFile = env.string('AUTHCTL_ADMIN_TOKEN_FILE');
  const adminToken: AdminTokenSource = tokenFile !== undefined
    ? { from: 'AUTHCTL_ADMIN_TOKEN_FILE', file: tokenFile }
    : tokenService.adminToken !== undefined
      ? { from: 'AUTH_ADMIN_TOKEN', token: tokenService.adminToken }
      : { from: 'AUTH_DATA_DIR', file: join(platform.dataDir, 'admin-token') };
  env.finish();
  return { tokenServiceUrl: tokenServiceUrl ?? '', edgeUrl: edgeUrl ?? '', adminToken, mesh, redisUrl: platform.redisUrl };
}
