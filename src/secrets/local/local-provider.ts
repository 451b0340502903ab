import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { restrictToOwner, writeFileAtomically, type DependencyStatus } from '../../platform/index.js';
import { assertSecretPath, type LeaseView, type SecretData, type SecretsProvider } from '../provider.js';

const VERSION = 1;

/**
 * The embedded default: every secret in one file, `secrets.enc`, sealed with AES-256-GCM under
 * the master key. Writes go to a temporary file that is fsynced and renamed, so a kill at any
 * moment leaves either the old or the new file, never a torn one. Without a directory it
 * keeps secrets in memory only (tests).
 */
export class LocalSecretsProvider implements SecretsProvider {
  readonly kind = 'local' as const;
  private readonly secrets: Map<string, SecretData>;
  private readonly file: string | undefined;

  constructor(private readonly masterKey: Buffer, dir?: string) {
    if (masterKey.length !== 32) throw new Error('master key must be 32 bytes');
    this.file = dir === undefined ? undefined : join(dir, 'secrets.enc');
    if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.secrets = this.file !== undefined && existsSync(this.file) ? this.load(this.file) : new Map();
    // A file left readable by others (copied, restored from a backup) is tightened at start, not at its next write.
    if (this.file !== undefined && existsSync(this.file)) restrictToOwner(this.file);
  }

  async read(path: string): Promise<SecretData | undefined> {
    assertSecretPath(path);
    const data = this.secrets.get(path);
    return data === undefined ? undefined : { ...data };
  }

  async write(path: string, data: SecretData): Promise<void> {
    assertSecretPath(path);
    this.secrets.set(path, { ...data });
    this.persist();
  }

  status(): DependencyStatus {
    return { status: 'up', provider: 'local' };
  }

  leases(): LeaseView[] {
    return [];
  }

  async close(): Promise<void> {}

  private load(file: string): Map<string, SecretData> {
    const sealed = JSON.parse(readFileSync(file, 'utf8')) as { v: number; iv: string; tag: string; data: string };
    if (sealed.v !== VERSION) throw new Error(`${file}: unsupported version ${sealed.v}`);
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, Buffer.from(sealed.iv, 'base64'));
    decipher.setAAD(Buffer.from(`auth-platform-secrets-v${VERSION}`));
    decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
    } catch {
      throw new Error(`${file}: cannot decrypt; the master key does not match the one it was written with`);
    }
    return new Map(Object.entries(JSON.parse(plain.toString('utf8')) as Record<string, SecretData>));
  }

  private persist(): void {
    if (this.file === undefined) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(Buffer.from(`auth-platform-secrets-v${VERSION}`));
    const plain = Buffer.from(JSON.stringify(Object.fromEntries(this.secrets)));
    const data = Buffer.concat([cipher.update(plain), cipher.final()]);
    const sealed = JSON.stringify({ v: VERSION, iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') });
    writeFileAtomically(this.file, sealed, 0o600);
  }
}
