import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomically } from './atomic-file.js';

/**
 * Hands a credential to the local operator through a 0600 file rather than the terminal or the
 * log, so it never lands in log collection; printed commands read it with `$(cat FILE)`. A file
 * already there is replaced, not rewritten in place, so it ends 0600 whatever mode it had.
 */
export function writeSecretFile(path: string, value: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileAtomically(path, value + '\n', 0o600);
}

/** Takes group and other permissions off a secret file someone loosened: a readable key is a leaked key. */
export function restrictToOwner(path: string): void {
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
}
