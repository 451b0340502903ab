import { spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';

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

/** `name` as found by the shell on PATH, or undefined when it is not installed. */
export function findOnPath(name: string): string | undefined {
  const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return which.status === 0 && which.stdout.trim() !== '' ? which.stdout.trim() : undefined;
}

/** A process listening on 127.0.0.1, started by `startFromTemplate`. */
export interface ListeningProcess {
  url: string;
  close(): Promise<void>;
}

export interface TemplateLaunch {
  /** Names the process in start-up errors. */
  name: string;
  /** Prefix of the temp dir that holds the config, the log and anything else the process writes. */
  dirPrefix: string;
  template: string;
  /** File name the filled-in config is written to, inside the temp dir. */
  configName: string;
  /** `{{KEY}}` placeholders to fill besides `{{DIR}}` (the temp dir) and `{{PORT}}` (a free port). */
  values: Record<string, string>;
  /** Spawns the process on the written config; returns it and the file its errors go to. */
  spawn(configPath: string, dir: string): { child: ChildProcess; log: string };
}

/**
 * Fills `launch.template` into a fresh temp dir, spawns the process on it and resolves once it
 * listens on the chosen port; closing stops it and removes the temp dir. A process that fails to
 * start is killed and its dir removed before the error is thrown.
 */
export async function startFromTemplate(launch: TemplateLaunch): Promise<ListeningProcess> {
  const dir = mkdtempSync(join(tmpdir(), launch.dirPrefix));
  const port = await freePort();
  let config = readFileSync(launch.template, 'utf8').replaceAll('{{DIR}}', dir).replaceAll('{{PORT}}', String(port));
  for (const [key, value] of Object.entries(launch.values)) config = config.replaceAll(`{{${key}}}`, value);
  const configPath = join(dir, launch.configName);
  writeFileSync(configPath, config);
  const { child, log } = launch.spawn(configPath, dir);
  try {
    await waitForPort(launch.name, port, child, log);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
