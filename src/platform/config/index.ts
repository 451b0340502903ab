import { EnvReader, type Env } from './env-reader.js';
import { readPlatformConfig, type PlatformConfig } from './platform.js';
import { readTokenServiceConfig, type TokenServiceConfig } from './token-service.js';

export { ConfigError, EnvReader, type Env } from './env-reader.js';
export { parseDuration } from './duration.js';
export { LOG_LEVELS, type LogLevel, type PlatformConfig } from './platform.js';
export { SIGNING_ALGORITHMS, type SigningAlgorithm, type TokenServiceConfig } from './token-service.js';

export interface Config {
  platform: PlatformConfig;
  tokenService: TokenServiceConfig;
}

/** Builds the one validated configuration object; throws ConfigError naming every bad variable. */
export function loadConfig(env: Env = process.env): Config {
  const reader = new EnvReader(env);
  const config: Config = {
    platform: readPlatformConfig(reader),
    tokenService: readTokenServiceConfig(reader),
  };
  reader.finish();
  return config;
}
