import { gauge, type DependencyStatus, type Logger, type Readiness, type Registry } from '../platform/index.js';
import type { CertificateMaterial } from './certificate-material.js';
import type { CertificateSource } from './certificate-source.js';

export type ExpiryState = 'valid' | 'expiring' | 'expired';

const DAY_MS = 86_400_000;
/** setTimeout's ceiling (~24.8 days); a longer wait is re-armed in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function expiryState(notAfter: Date, warningMs: number, now: number): ExpiryState {
  const left = notAfter.getTime() - now;
  return left <= 0 ? 'expired' : left <= warningMs ? 'expiring' : 'valid';
}

export function daysLeft(notAfter: Date, now: number): number {
  // Toward zero: a certificate that expired 30 hours ago shows -1, one expiring in 30 hours shows 1.
  return Math.trunc((notAfter.getTime() - now) / DAY_MS);
}

export interface CertificateExpiryOptions {
  source: CertificateSource;
  warningMs: number;
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
}

/**
 * Makes the served certificate's expiry visible three ways, as every degraded mode must be:
 * - the gauge `mesh_certificate_expiry_timestamp_seconds{file}` (alert on `… - time() < 7*86400`);
 * - the readiness dependency `mesh_certificate`: degraded inside the warning window, down once expired;
 * - a log line naming the file and its not-after, when the certificate enters either state
 *   (at start, on reload, or as time passes), not on every check.
 */
export function monitorCertificateExpiry(options: CertificateExpiryOptions): { close(): void } {
  const { source, warningMs, logger } = options;
  const expiry = gauge(options.registry, 'mesh_certificate_expiry_timestamp_seconds', 'Not-after of the certificate this service presents, as a Unix timestamp', ['file']);
  let timer: NodeJS.Timeout | undefined;
  let logged: { serial: string; state: ExpiryState } | undefined;

  const evaluate = (material: CertificateMaterial) => {
    const now = Date.now();
    const state = expiryState(material.notAfter, warningMs, now);
    expiry.set({ file: material.files.cert }, Math.floor(material.notAfter.getTime() / 1000));
    const serial = material.certificate.serialNumber;
    if (state !== 'valid' && (logged?.serial !== serial || logged.state !== state)) {
      const fields = { file: material.files.cert, notAfter: material.notAfter.toISOString(), spiffeId: material.identity.spiffeId, daysLeft: daysLeft(material.notAfter, now) };
      if (state === 'expired') {
        logger.error(fields, `mesh: certificate ${fields.file} expired at ${fields.notAfter}; peers will refuse the TLS handshake`);
      } else {
        logger.warn(fields, `mesh: certificate ${fields.file} expires at ${fields.notAfter}`);
      }
    }
    logged = { serial, state };
    clearTimeout(timer);
    const nextBoundary = state === 'valid' ? material.notAfter.getTime() - warningMs : state === 'expiring' ? material.notAfter.getTime() : undefined;
    if (nextBoundary !== undefined) {
      timer = setTimeout(() => evaluate(source.current), Math.min(Math.max(nextBoundary - now, 0) + 1, MAX_TIMER_MS));
      timer.unref();
    }
  };

  options.readiness.register('mesh_certificate', () => certificateReadiness(source.current, warningMs, Date.now()));
  const unsubscribe = source.onChange(evaluate);
  evaluate(source.current);
  return {
    close() {
      clearTimeout(timer);
      unsubscribe();
    },
  };
}

export function certificateReadiness(material: CertificateMaterial, warningMs: number, now: number): DependencyStatus {
  const state = expiryState(material.notAfter, warningMs, now);
  const facts = { file: material.files.cert, notAfter: material.notAfter.toISOString(), spiffeId: material.identity.spiffeId };
  if (state === 'expired') return { status: 'down', detail: `certificate expired at ${facts.notAfter}`, ...facts };
  if (state === 'expiring') return { status: 'degraded', detail: `certificate expires in ${daysLeft(material.notAfter, now)} days`, ...facts };
  return { status: 'up', ...facts };
}
