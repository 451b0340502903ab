import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where things run: with taskset and at least two cores, every server under test shares core 0
 * and the harness (with the load generator) keeps core 1 to itself, so the load never steals
 * the servers' CPU and the servers' CPU budget is the same in every comparison.
 */
export interface Placement {
  cores: number;
  pinned: boolean;
  serverCpu: string;
  loadCpu: string;
}

export function placeProcesses(pin = true): Placement {
  const cores = availableParallelism();
  if (!pin) return { cores, pinned: false, serverCpu: 'any', loadCpu: 'any' };
  const hasTaskset = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasTaskset || cores < 2) return { cores, pinned: false, serverCpu: 'any', loadCpu: 'any' };
  const pinSelf = spawnSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  if (pinSelf.status !== 0) return { cores, pinned: false, serverCpu: 'any', loadCpu: 'any' };
  return { cores, pinned: true, serverCpu: '0', loadCpu: '1' };
}

/** The command line that runs `command` on the servers' core. */
export function onServerCore(placement: Placement, command: string, args: string[]): [string, string[]] {
  return placement.pinned ? ['taskset', ['-c', placement.serverCpu, command, ...args]] : [command, args];
}
