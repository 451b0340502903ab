import { EnvReader, type Env } from './env-reader.js';
import { readPlatformConfig, type PlatformConfig } from './platform.js';
import { readTokenServiceConfig, type TokenServiceConfig } from './token-service.js';
import { readMeshConfig, type MeshConfig } from './mesh.js';
import { readEdgeConfig, type EdgeConfig } from './edge.js';
import { readVaultConfig, type VaultConfig } from './vault.js';

export { ConfigError, EnvReader, type Env } from './env-reader.js';
export { parseDuration } from './duration.js';
export { NO_PROXY_TRUST, type ProxyTrust } from './proxy-trust.js';
export { parseByteSize } from './byte-size.js';
export { LOG_LEVELS, type LogLevel, type PlatformConfig } from './platform.js';
export { MESH_MODES, SERVICE_ACCOUNTS, INTERNAL_ENDPOINTS, readMeshConfig, type MeshMode, type InternalEndpoint, type MeshConfig } from './mesh.js';
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
  const config: Config = {
    platform: readPlatformConfig(reader),
    tokenService: readTokenServiceConfig(reader),
    mesh: readMeshConfig(reader),
    edge: readEdgeConfig(reader),
    vault: readVaultConfig(reader),
  };
  reader.finish();
  return config;
}
