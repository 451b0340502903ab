import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { restrictToOwner } from '../../platform/index.js';

/**
 * The key that encrypts the local provider's secrets at rest: from AUTH_MASTER_KEY, or from
 * `master.key` in the data directory, created with mode 0600 on first start.
 */
export function loadMasterKey(options: { fromEnv?: string | undefined; dataDir: string }): Buffer {
  if (options.fromEnv !== undefined) return Buffer.from(options.fromEnv, 'base64');
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const file = join(options.dataDir, 'master.key');
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(32).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  }
  // Tighten a key file someone loosened.
  restrictToOwner(file);
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new Error(`${file} must hold the base64 encoding of 32 bytes`);
  return key;
}
