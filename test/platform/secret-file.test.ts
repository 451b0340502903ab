import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeFileAtomically, writeSecretFile } from '../../src/platform/index.js';

const dir = mkdtempSync(join(tmpdir(), 'auth-secret-file-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

describe('secret files', () => {
  test('an admin-token file that already exists with mode 0644 ends 0600 when the token is written', () => {
    const file = join(dir, 'admin-token');
    // Attack: the file was left world-readable (an earlier version, a copy, a restore).
    writeFileSync(file, 'old-token\n', { mode: 0o644 });
    assert.equal(mode(file), 0o644);
    writeSecretFile(file, 'new-token');
    assert.equal(mode(file), 0o600);
    assert.equal(readFileSync(file, 'utf8'), 'new-token\n');
  });

  test('a new secret file is created 0600 inside a 0700 directory', () => {
    const file = join(dir, 'nested', 'demo-client-secret');
    writeSecretFile(file, 'secret');
    assert.equal(mode(file), 0o600);
    assert.equal(mode(join(dir, 'nested')), 0o700);
  });

  test('the mode is exact whatever the umask, and no temporary file is left behind', () => {
    const file = join(dir, 'ca.crt');
    const umask = process.umask(0o277);
    try {
      writeFileAtomically(file, 'certificate', 0o644);
    } finally {
      process.umask(umask);
    }
    assert.equal(mode(file), 0o644);
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), []);
  });
});
