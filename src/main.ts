#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { closeOnSignals, ConfigError, createLogger, loadConfig, writeSecretFile, type Config } from './platform/index.js';
import { DEMO_AUDIENCE, runEdge, runTokenService, type Closers } from './run-services.js';
import { ensureDemoClient, type TokenService } from './token-service/index.js';

const ROLES = ['all', 'token-service', 'edge'] as const;
type Role = (typeof ROLES)[number];

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw error;
  }
}

function readRole(): Role {
  const role = process.argv[2] ?? 'all';
  if (!(ROLES as readonly string[]).includes(role)) {
    process.stderr.write(`usage: main.js [${ROLES.join('|')}]\n`);
    process.exit(2);
  }
  return role as Role;
}

function welcome(config: Config, edgeUrl: string | undefined, demoSecretFile: string | undefined): string {
  const issuer = config.tokenService.issuer;
  const lines = [`auth-platform is up.`, `  token-service  ${issuer}  (internal API on port ${config.tokenService.internalPort})`];
  if (edgeUrl !== undefined) lines.push(`  edge           ${edgeUrl}`);
  if (demoSecretFile !== undefined) {
    lines.push(
      '',
      '1. Get a token for the demo client:',
      `   TOKEN=$(curl -s -u demo:$(cat ${demoSecretFile}) -d grant_type=client_credentials ${issuer}/oauth2/token | sed 's/.*"access_token":"\\([^"]*\\)".*/\\1/')`,
    );
    if (edgeUrl !== undefined) lines.push('', '2. Call the protected demo API through the edge:', `   curl -s -H "Authorization: Bearer $TOKEN" ${edgeUrl}/demo/hello`);
  }
  lines.push('', `Admin token: ${config.tokenService.adminToken === undefined ? join(resolve(config.platform.dataDir), 'admin-token') : 'AUTH_ADMIN_TOKEN'}  (npm run authctl -- --help)`, '');
  return lines.join('\n');
}

/** `npm start` runs every service in one process on the embedded defaults; `main.js <role>` runs one (Kubernetes). */
async function main(): Promise<void> {
  const role = readRole();
  const config = readConfig();
  const closers: Closers = [];
  const shutdownLogger = createLogger({ level: config.platform.logLevel, name: 'auth-platform' });
  closeOnSignals(shutdownLogger, config.platform.shutdownGraceMs, closers);

  let tokenService: TokenService | undefined;
  if (role !== 'edge') tokenService = await runTokenService(config, closers);
  let edgeUrl: string | undefined;
  if (role !== 'token-service') {
    edgeUrl = await runEdge(config, closers, tokenService && { cache: tokenService.context.store, revocationFeedToken: tokenService.revocationFeedToken, secrets: tokenService.context.secrets });
  }
  let demoSecretFile: string | undefined;
  if (tokenService !== undefined && config.tokenService.demoClient) {
    const demo = await ensureDemoClient(tokenService, DEMO_AUDIENCE);
    demoSecretFile = join(resolve(config.platform.dataDir), 'demo-client-secret');
    writeSecretFile(demoSecretFile, demo.secret);
  }
  process.stdout.write(welcome(config, edgeUrl, demoSecretFile) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-platform failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
