import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { LocalSecretsProvider, loadMasterKey } from '../../src/secrets/index.js';
import { signingKeySecretPath } from '../../src/token-service/index.js';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'auth-secrets-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const mode = (path: string) => statSync(path).mode & 0o777;
const PRIVATE_D = 'private-d-member-Zm9vYmFyYmF6cXV4';

describe('local secrets provider', () => {
  test('secrets are encrypted at rest: the file holds neither the plaintext nor its base64', async () => {
    const dir = tempDir();
    const provider = new LocalSecretsProvider(randomBytes(32), dir);
    await provider.write('jwt/signing-keys/k1', { jwk: JSON.stringify({ kty: 'EC', d: PRIVATE_D }) });
    await provider.write('token-service/admin-token', { value: 'admin-token-plaintext' });
    const raw = readFileSync(join(dir, 'secrets.enc'));
    for (const needle of [PRIVATE_D, 'admin-token-plaintext', 'signing-keys', 'admin-token']) {
      assert.ok(!raw.includes(needle), `file contains ${needle}`);
      assert.ok(!raw.includes(Buffer.from(needle).toString('base64')), `file contains base64 of ${needle}`);
    }
  });

  test('the secrets file and its directory are private to the owner', async () => {
    const dir = join(tempDir(), 'nested', 'data');
    const provider = new LocalSecretsProvider(randomBytes(32), dir);
    await provider.write('a/b', { value: 'x' });
    assert.equal(mode(join(dir, 'secrets.enc')), 0o600);
    assert.equal(mode(dir), 0o700);
  });

  test('a secrets file left readable by others is private again at start and after each write', async () => {
    const dir = tempDir();
    const key = randomBytes(32);
    await new LocalSecretsProvider(key, dir).write('a/b', { value: 'x' });
    const file = join(dir, 'secrets.enc');
    // Attack: the file was copied or restored with a world-readable mode.
    chmodSync(file, 0o644);
    const reopened = new LocalSecretsProvider(key, dir);
    assert.equal(mode(file), 0o600, 'tightened at start');
    chmodSync(file, 0o644);
    await reopened.write('a/c', { value: 'y' });
    assert.equal(mode(file), 0o600, 'a write leaves 0600');
    assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temporary file left behind');
  });

  test('secrets survive reopening with the same master key', async () => {
    const dir = tempDir();
    const key = randomBytes(32);
    const first = new LocalSecretsProvider(key, dir);
    await first.write('jwt/signing-keys/k1', { jwk: 'one' });
    await first.write('jwt/signing-keys/k2', { jwk: 'two', extra: 'field' });
    await first.write('jwt/signing-keys/k1', { jwk: 'one-updated' });
    await first.close();
    const second = new LocalSecretsProvider(key, dir);
    assert.deepEqual(await second.read('jwt/signing-keys/k1'), { jwk: 'one-updated' });
    assert.deepEqual(await second.read('jwt/signing-keys/k2'), { jwk: 'two', extra: 'field' });
    assert.equal(await second.read('jwt/signing-keys/missing'), undefined);
  });

  test('opening with the wrong master key fails with an error that says so', async () => {
    const dir = tempDir();
    const provider = new LocalSecretsProvider(randomBytes(32), dir);
    await provider.write('a', { value: 'x' });
    assert.throws(() => new LocalSecretsProvider(randomBytes(32), dir), /cannot decrypt; the master key does not match/);
  });

  test('a tampered file is refused, whichever part was altered', async () => {
    const dir = tempDir();
    const key = randomBytes(32);
    const provider = new LocalSecretsProvider(key, dir);
    await provider.write('a', { value: 'original' });
    const file = join(dir, 'secrets.enc');
    const original = JSON.parse(readFileSync(file, 'utf8')) as { v: number; iv: string; tag: string; data: string };
    const flip = (b64: string) => {
      const bytes = Buffer.from(b64, 'base64');
      bytes[0] = bytes[0]! ^ 0x01;
      return bytes.toString('base64');
    };
    for (const tampered of [
      { ...original, data: flip(original.data) },
      { ...original, tag: flip(original.tag) },
      { ...original, iv: flip(original.iv) },
    ]) {
      writeFileSync(file, JSON.stringify(tampered));
      assert.throws(() => new LocalSecretsProvider(key, dir), /cannot decrypt/);
    }
    writeFileSync(file, JSON.stringify({ ...original, v: 99 }));
    assert.throws(() => new LocalSecretsProvider(key, dir), /unsupported version/);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 20));
    assert.throws(() => new LocalSecretsProvider(key, dir));
  });

  test('writes are atomic: no temporary files are left behind, and a stale one from a crash is ignored', async () => {
    const dir = tempDir();
    const key = randomBytes(32);
    const provider = new LocalSecretsProvider(key, dir);
    for (let i = 0; i < 10; i += 1) await provider.write(`k/${i}`, { value: String(i) });
    assert.deepEqual(readdirSync(dir), ['secrets.enc']);
    // A process killed between writing its temp file and renaming it leaves a torn temp file.
    writeFileSync(join(dir, 'secrets.enc.12345.tmp'), '{"v":1,"iv":"tor');
    const reopened = new LocalSecretsProvider(key, dir);
    assert.deepEqual(await reopened.read('k/9'), { value: '9' });
  });

  test('path traversal and malformed paths are refused for reads and writes', async () => {
    const provider = new LocalSecretsProvider(randomBytes(32), tempDir());
    for (const path of ['../escape', 'a/../../b', '/etc/passwd', 'a/./b', 'a//b', '', 'a/', '.hidden', 'a/..', 'a\\b', 'a b', 'a/b\u0000c', '..']) {
      await assert.rejects(provider.read(path), /invalid secret path/, `read ${JSON.stringify(path)}`);
      await assert.rejects(provider.write(path, { value: 'x' }), /invalid secret path/, `write ${JSON.stringify(path)}`);
    }
  });

  test('signing-key paths for every base64url kid are accepted, including ids starting with - or _', async () => {
    const provider = new LocalSecretsProvider(randomBytes(32));
    for (const kid of ['-xaN0N7ydmJ7avunN7LDd3BHKXeIlvtnPuD3k6_-P4E', '_abc-DEF', 'plain123']) {
      await provider.write(signingKeySecretPath(kid), { jwk: kid });
      assert.deepEqual(await provider.read(signingKeySecretPath(kid)), { jwk: kid });
    }
  });

  test('returned secrets are copies: mutating one does not change the stored secret', async () => {
    const provider = new LocalSecretsProvider(randomBytes(32));
    const data = { value: 'a' };
    await provider.write('x', data);
    data.value = 'changed-after-write';
    const read = await provider.read('x');
    read!.value = 'changed-after-read';
    assert.deepEqual(await provider.read('x'), { value: 'a' });
  });

  test('a master key that is not 32 bytes is refused', () => {
    assert.throws(() => new LocalSecretsProvider(randomBytes(16)), /32 bytes/);
  });
});

describe('master key', () => {
  test('is generated on first start as master.key with mode 0600, and the same key is read back', () => {
    const dir = join(tempDir(), 'data');
    const key = loadMasterKey({ dataDir: dir });
    assert.equal(key.length, 32);
    const file = join(dir, 'master.key');
    assert.equal(mode(file), 0o600);
    assert.ok(loadMasterKey({ dataDir: dir }).equals(key));
  });

  test('a loosened master.key is tightened back to 0600', () => {
    const dir = tempDir();
    const key = loadMasterKey({ dataDir: dir });
    const file = join(dir, 'master.key');
    chmodSync(file, 0o644);
    assert.ok(loadMasterKey({ dataDir: dir }).equals(key));
    assert.equal(mode(file), 0o600);
    chmodSync(file, 0o666);
    loadMasterKey({ dataDir: dir });
    assert.equal(mode(file), 0o600);
  });

  test('a master.key that does not hold 32 bytes is refused', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'master.key'), Buffer.alloc(16).toString('base64'), { mode: 0o600 });
    assert.throws(() => loadMasterKey({ dataDir: dir }), /32 bytes/);
  });

  test('AUTH_MASTER_KEY from the environment is used and no key file is written', () => {
    const dir = tempDir();
    const fromEnv = randomBytes(32);
    assert.ok(loadMasterKey({ fromEnv: fromEnv.toString('base64'), dataDir: dir }).equals(fromEnv));
    assert.deepEqual(readdirSync(dir), []);
  });

  test('secrets sealed under a generated key file reopen after a restart', async () => {
    const dir = tempDir();
    const first = new LocalSecretsProvider(loadMasterKey({ dataDir: dir }), dir);
    await first.write('token-service/client-secret-pepper', { value: 'pepper' });
    const second = new LocalSecretsProvider(loadMasterKey({ dataDir: dir }), dir);
    assert.deepEqual(await second.read('token-service/client-secret-pepper'), { value: 'pepper' });
  });
});
