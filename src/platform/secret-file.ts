import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Hands a credential to the local operator through a 0600 file rather than the terminal or the
 * log, so it never lands in log collection; printed commands read it with `$(cat FILE)`.
 */
export function writeSecretFile(path: string, value: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, value + '\n', { mode: 0o600 });
}
