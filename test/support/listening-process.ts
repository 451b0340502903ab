import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';

/** Resolves once `child` accepts connections on 127.0.0.1:`port`; rejects with its log if it exits first or takes over 10 s. */
export function waitForPort(name: string, port: number, child: ChildProcess, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const attempt = () => {
      if (child.exitCode !== null) {
        reject(new Error(`${name} exited with ${child.exitCode}: ${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`));
        return;
      }
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`${name} did not start listening within 10 s`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Stops `child` with SIGTERM and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
