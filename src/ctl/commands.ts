import type { Command } from 'commander';

/**
 * Every command group, in runbook order. A new group is a module exporting
 * `register(program)`, added here.
 */
export function registerCommands(program: Command): void {
  void program;
}
