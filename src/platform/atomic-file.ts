import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

/**
 * Replaces `path` with `content`, ending with exactly `mode`. The content goes to a new file beside
 * the target (created exclusively, so no leftover file lends it its permissions), is fsynced, and
 * is renamed over the target: a reader or a crash sees the old file or the new one, never half of
 * one, and an existing file's looser mode does not survive (`writeFileSync`'s `mode` applies only
 * when it creates the file).
 */
export function writeFileAtomically(path: string, content: string | Buffer, mode: number): void {
  const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', mode);
  try {
    try {
      writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
      // The umask may have taken bits off `mode` at creation; the target gets exactly `mode`.
      fchmodSync(fd, mode);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}
