import type { Command } from 'commander';
import { register as registerCerts } from './certs.js';

/**
 * Every command group, in runbook order. A new group is a module exporting
 * `register(program)`, added here.
 */
export function registerCommands(program: Command): void {
  registerCerts(program);
}
