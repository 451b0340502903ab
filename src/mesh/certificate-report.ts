import type { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect, type ConnectionOptions } from 'node:tls';
import { parsePemCertificates } from './certificate-material.js';
import { daysLeft } from './certificate-expiry.js';
import { identityOfCertificate } from './peer-certificate.js';

/** One line of `authctl certs check`. */
export interface CertificateReport {
  /** A file path, or `host:port` for a certificate a service presents. */
  source: string;
  subject: string;
  spiffeId: string | null;
  notAfter: string;
  daysLeft: number;
  /** For a presented certificate: whether it verified against our CA bundle, or why not. */
  verification?: string;
}

export function reportCertificate(source: string, certificate: X509Certificate, now = Date.now()): CertificateReport {
  const notAfter = new Date(certificate.validTo);
  return {
    source,
    subject: certificate.subject.replace(/\n/g, ', '),
    spiffeId: identityOfCertificate(certificate)?.spiffeId ?? null,
    notAfter: notAfter.toISOString(),
    daysLeft: daysLeft(notAfter, now),
  };
}

/** Every certificate in a PEM file (a chain or a CA bundle reports each one). */
export async function reportCertificateFile(file: string, now = Date.now()): Promise<CertificateReport[]> {
  const certificates = parsePemCertificates(await readFile(file, 'utf8'), file);
  return certificates.map((certificate, i) => reportCertificate(certificates.length > 1 ? `${file}#${i + 1}` : file, certificate, now));
}

/**
 * Connects to `host:port` and reports the certificate the service presents. The handshake does not
 * stop at a verification failure (an expired certificate is exactly what we want to see); the
 * outcome is reported instead. `tls` carries our client certificate, which internal listeners require.
 */
export function reportPresentedCertificate(host: string, port: number, tls: ConnectionOptions, timeoutMs = 5000): Promise<CertificateReport> {
  return new Promise((resolve, reject) => {
    const socket = connect({ ...tls, host, port, servername: isIpLiteral(host) ? undefined : host, rejectUnauthorized: false });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no TLS handshake from ${host}:${port} within ${timeoutMs}ms`)));
    socket.once('error', reject);
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerX509Certificate();
      const authorizationError = socket.authorizationError;
      socket.end();
      if (!certificate) return reject(new Error(`${host}:${port} presented no certificate`));
      resolve({
        ...reportCertificate(`${host}:${port}`, certificate),
        verification: socket.authorized ? 'verified' : `not verified: ${String(authorizationError)}`,
      });
    });
  });
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
