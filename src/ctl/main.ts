#!/usr/bin/env node
import { Command } from 'commander';
import { registerCommands } from './commands.js';

/** authctl: one subcommand group per runbook area; each lives in its own module under src/ctl/. */
const program = new Command('authctl')
  .description('Operate auth-platform: status, keys, revocation, Vault, certificates, audit')
  .showHelpAfterError()
  .exitOverride((error) => process.exit(error.exitCode));

registerCommands(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`authctl: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
