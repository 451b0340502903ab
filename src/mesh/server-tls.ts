import type { ServerOptions } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { CertificateMaterial } from './certificate-material.js';
import type { CertificateSource } from './certificate-source.js';

/**
 * TLS options for an internal listener: a client certificate issued by our CA bundle is required,
 * so a caller without one, or with one from another CA, is refused in the handshake itself,
 * before any HTTP is parsed.
 */
export function internalServerTlsOptions(material: CertificateMaterial): ServerOptions {
  return {
    ...secureContextOptions(material),
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.2',
  };
}

function secureContextOptions(material: CertificateMaterial): { cert: Buffer; key: Buffer; ca: Buffer } {
  return { cert: material.cert, key: material.key, ca: material.ca };
}

/**
 * Serves each new certificate from the next handshake on. `setSecureContext` replaces only what
 * new connections use; established ones finish on the old context, so nothing is dropped.
 * Returns the unsubscribe function.
 */
export function reloadServerCertificates(server: TlsServer, source: CertificateSource): () => void {
  return source.onChange((material) => server.setSecureContext(secureContextOptions(material)));
}
