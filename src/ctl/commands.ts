import type { Command } from 'commander';
import { register as certs } from './certs.js';

/**
 * Every command group, in runbook order. A new group is a module exporting
 * `register(program)`, added here.
 */
export function registerCommands(program: Command): void {
  certs(program);
}
