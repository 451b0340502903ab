#!/usr/bin/env node
import { join, resolve } from 'node:path';
import { closeOnSignals, ConfigError, createLogger, loadConfig, Readiness, writeSecretFile, type Config } from './platform/index.js';
import { DEMO_AUDIENCE, runEdge, runTokenService, type Closers } from './run-services.js';
import { startBanner, type StartedService } from './start-banner.js';
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

/** `npm start` runs every service in one process on the embedded defaults; `main.js <role>` runs one (Kubernetes). */
async function main(): Promise<void> {
  const role = readRole();
  const config = readConfig();
  const closers: Closers = [];
  const shutdownLogger = createLogger({ level: config.platform.logLevel, name: 'auth-platform' });
  closeOnSignals(shutdownLogger, config.platform.shutdownGraceMs, closers);

  let tokenService: TokenService | undefined;
  if (role !== 'edge') tokenService = await runTokenService(config, closers);
  let edge: { url: string; readiness: Readiness } | undefined;
  if (role !== 'token-service') {
    const readiness = new Readiness();
    const url = await runEdge(config, closers, tokenService && { cache: tokenService.context.store, revocationFeedToken: tokenService.revocationFeedToken, secrets: tokenService.context.secrets }, readiness);
    edge = { url, readiness };
  }
  let demoSecretFile: string | undefined;
  if (tokenService !== undefined && config.tokenService.demoClient) {
    const demo = await ensureDemoClient(tokenService, DEMO_AUDIENCE);
    demoSecretFile = join(resolve(config.platform.dataDir), 'demo-client-secret');
    writeSecretFile(demoSecretFile, demo.secret);
  }
  // What /readyz says now, so the banner never calls a service up that is not.
  const started: StartedService[] = [];
  if (tokenService !== undefined) {
    const note = `internal API on port ${config.tokenService.internalPort}`;
    started.push({ name: 'token-service', url: config.tokenService.issuer, readiness: await tokenService.context.readiness.report(), note });
  }
  if (edge !== undefined) started.push({ name: 'edge', url: edge.url, readiness: await edge.readiness.report() });
  process.stdout.write(startBanner(config, started, demoSecretFile) + '\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`auth-platform failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
