import { watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '../platform/index.js';
import {
  CertificateMaterialError,
  loadCertificateMaterial,
  readCertificateFiles,
  sameBytes,
  validateCertificateMaterial,
  type CertificateBytes,
  type CertificateFiles,
  type CertificateMaterial,
} from './certificate-material.js';

export type ReloadOutcome = 'unchanged' | 'reloaded' | 'rejected';

export interface CertificateSourceOptions {
  logger: Logger;
  /** cert-manager and Vault Agent write several files in quick succession; act once they settle. */
  debounceMs?: number;
  /** A safety net for file systems where change notifications never arrive (some network and overlay mounts). */
  pollIntervalMs?: number;
  onReload?: (outcome: Exclude<ReloadOutcome, 'unchanged'>) => void;
}

/**
 * The certificate, key and CA bundle currently in force, kept in step with the files.
 *
 * Rotation tools replace these files while we run: cert-manager (via a kubelet secret volume)
 * swaps a `..data` symlink in the directory, Vault Agent rewrites each file. So we watch the
 * directories rather than the files (a watched file that is replaced by a rename goes quiet),
 * wait for writes to settle, and swap only when the new triple validates as a whole. Listeners
 * (TLS servers, client agents) get the new material; connections already open keep theirs.
 */
export class CertificateSource {
  private readonly listeners = new Set<(material: CertificateMaterial) => void>();
  private readonly watchers: FSWatcher[] = [];
  private readonly poll: NodeJS.Timeout;
  private debounce: NodeJS.Timeout | undefined;
  private running: Promise<ReloadOutcome> | undefined;
  private rerun = false;
  private lastRejected: CertificateBytes | undefined;
  private closed = false;

  private constructor(
    private material: CertificateMaterial,
    private readonly options: CertificateSourceOptions,
  ) {
    const debounceMs = options.debounceMs ?? 250;
    for (const dir of new Set(Object.values(material.files).map((f) => dirname(f)))) {
      try {
        const watcher = watch(dir, { persistent: false }, () => this.schedule(debounceMs));
        watcher.on('error', (error) => options.logger.warn({ err: error, dir }, 'mesh: cannot watch certificate directory; relying on polling'));
        this.watchers.push(watcher);
      } catch (error) {
        options.logger.warn({ err: error, dir }, 'mesh: cannot watch certificate directory; relying on polling');
      }
    }
    this.poll = setInterval(() => void this.reload(), options.pollIntervalMs ?? 60_000);
    this.poll.unref();
  }

  /** Loads and validates the files; throws CertificateMaterialError naming the bad file. */
  static async open(files: CertificateFiles, options: CertificateSourceOptions): Promise<CertificateSource> {
    return new CertificateSource(await loadCertificateMaterial(files), options);
  }

  get current(): CertificateMaterial {
    return this.material;
  }

  /** Calls `listener` with each new material; returns the unsubscribe function. */
  onChange(listener: (material: CertificateMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the files now. Concurrent calls share one pass, and a change seen meanwhile triggers another. */
  reload(): Promise<ReloadOutcome> {
    if (this.running) {
      this.rerun = true;
      return this.running;
    }
    this.running = this.reloadOnce().finally(() => {
      this.running = undefined;
      if (this.rerun && !this.closed) {
        this.rerun = false;
        void this.reload();
      }
    });
    return this.running;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.debounce);
    clearInterval(this.poll);
    for (const watcher of this.watchers) watcher.close();
    this.listeners.clear();
  }

  private schedule(debounceMs: number): void {
    if (this.closed) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reload(), debounceMs);
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    const { logger } = this.options;
    const files = this.material.files;
    let next: CertificateMaterial;
    let bytes: CertificateBytes | undefined;
    try {
      bytes = await readCertificateFiles(files);
      if (sameBytes(bytes, this.material)) return 'unchanged';
      if (this.lastRejected && sameBytes(bytes, this.lastRejected)) return 'unchanged';
      next = validateCertificateMaterial(files, bytes);
      const now = Date.now();
      if (next.notAfter.getTime() <= now && this.material.notAfter.getTime() > now) {
        throw new CertificateMaterialError(files.cert, `new certificate already expired at ${next.notAfter.toISOString()}`);
      }
    } catch (error) {
      if (bytes) this.lastRejected = bytes;
      const reason = error instanceof Error ? error.message : String(error);
      // Often transient (a rotation half written); the next change or poll retries.
      logger.warn(
        { file: error instanceof CertificateMaterialError ? error.file : files.cert, reason, serving: this.material.certificate.serialNumber },
        'mesh: new certificate files rejected; still serving the previous certificate',
      );
      this.options.onReload?.('rejected');
      return 'rejected';
    }
    if (this.closed) return 'unchanged';
    this.material = next;
    this.lastRejected = undefined;
    logger.info(
      { file: files.cert, spiffeId: next.identity.spiffeId, serial: next.certificate.serialNumber, notAfter: next.notAfter.toISOString() },
      'mesh: certificate reloaded',
    );
    for (const listener of this.listeners) listener(next);
    this.options.onReload?.('reloaded');
    return 'reloaded';
  }
}
