import type { ServerOptions } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { CertificateMaterial } from './certificate-material.js';
import type { CertificateSource } from './certificate-source.js';

/** Whether a listener refuses callers without a valid client certificate, or serves them without an identity. */
export type ClientCertificatePolicy = 'required' | 'optional';

/**
 * TLS options for a listener presenting our certificate.
 * - `required` (internal listeners): a caller without a client certificate issued by our CA bundle
 *   is refused in the handshake itself, before any HTTP is parsed.
 * - `optional` (a listener that also serves callers outside the mesh, such as the token endpoint
 *   that identity-bound clients use): the handshake completes either way, and only a certificate
 *   that verified against the CA bundle yields a caller identity (see `identityOfTlsPeer`).
 */
export function meshServerTlsOptions(material: CertificateMaterial, clientCertificate: ClientCertificatePolicy): ServerOptions {
  return {
    ...secureContextOptions(material),
    requestCert: true,
    rejectUnauthorized: clientCertificate === 'required',
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
