import { EnvReader, type Env } from './env-reader.js';
import { readPlatformConfig, type PlatformConfig } from './platform.js';
import { readTokenServiceConfig, type TokenServiceConfig } from './token-service.js';
import { listenerScheme, readMeshConfig, type MeshConfig } from './mesh.js';
import { readEdgeConfig, type EdgeConfig } from './edge.js';
import { readVaultConfig, type VaultConfig } from './vault.js';

export { ConfigError, EnvReader, type Env } from './env-reader.js';
export { parseDuration } from './duration.js';
export { parseByteSize } from './byte-size.js';
export { NO_PROXY_TRUST, type ProxyTrust } from './proxy-trust.js';
export { LOG_LEVELS, type LogLevel, type PlatformConfig } from './platform.js';
export { MESH_MODES, SERVICE_ACCOUNTS, INTERNAL_ENDPOINTS, listenerScheme, readMeshConfig, type MeshMode, type InternalEndpoint, type MeshConfig } from './mesh.js';
export { listenerUrl, type ListenerScheme } from './listener-url.js';
export { loadCtlConfig, type AdminTokenSource, type CtlConfig } from './ctl.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm, type TokenServiceConfig } from './token-service.js';
export { FORWARD_AUTH_PROXIES, MAX_CLOCK_SKEW_MS, readEdgeConfig, type EdgeConfig, type EdgeRateRule, type ForwardAuthProxy } from './edge.js';
export { VAULT_AUTH_METHODS, readVaultConfig, type VaultAuthConfig, type VaultAuthMethod, type VaultConfig } from './vault.js';

export interface Config {
  platform: PlatformConfig;
  tokenService: TokenServiceConfig;
  mesh: MeshConfig;
  edge: EdgeConfig;
  /** Present when SECRETS_PROVIDER=vault. */
  vault: VaultConfig | undefined;
}

/** Builds the one validated configuration object; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const reader = new EnvReader(env);
  const platform = readPlatformConfig(reader);
  const mesh = readMeshConfig(reader);
  // Under native mTLS the listeners serve TLS, so the derived URLs and the default issuer are https.
  const scheme = listenerScheme(mesh.mode);
  const config: Config = {
    platform,
    tokenService: readTokenServiceConfig(reader, scheme),
    mesh,
    edge: readEdgeConfig(reader, scheme),
    vault: readVaultConfig(reader),
  };
  reader.finish();
  return config;
}
