#!/usr/bin/env node
import { ConfigError, loadCtlConfig, type CtlConfig } from '../platform/index.js';
import { registerCommands } from './commands.js';
import { AuthctlProgram } from './connection.js';

/** The services' variables, read once: authctl finds the platform the way the services describe it. */
function readConfig(): CtlConfig {
  try {
    return loadCtlConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`authctl: ${error.message}\nSee docs/configuration.md.\n`);
      process.exit(2);
    }
    throw error;
  }
}

/** authctl: one subcommand group per runbook area; each lives in its own module under src/ctl/. */
const program = new AuthctlProgram(readConfig())
  .description('Operate auth-platform: status, keys, revocation, Vault, certificates, audit')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode));

registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`authctl: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
