import { type ConnectionOptions, type PeerCertificate } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import type { IdentityAllowlist } from './allowlist.js';
import type { CertificateMaterial } from './certificate-material.js';
import type { CertificateSource } from './certificate-source.js';
import { identityFromSubjectAltName } from './peer-certificate.js';

export interface MeshClientOptions {
  /**
   * The identities the server may have. When set, the server is authenticated by the SPIFFE ID in
   * its certificate, as SPIFFE prescribes, instead of by host name (SVIDs need not carry DNS names).
   */
  expectedServer?: IdentityAllowlist;
}

/** `tls.connect` / `https.request` options presenting our current certificate. */
export function clientTlsOptions(material: CertificateMaterial, options: MeshClientOptions = {}): ConnectionOptions {
  return {
    cert: material.cert,
    key: material.key,
    ca: material.ca,
    minVersion: 'TLSv1.2',
    ...(options.expectedServer ? { checkServerIdentity: serverIdentityCheck(options.expectedServer) } : {}),
  };
}

function serverIdentityCheck(expected: IdentityAllowlist): (host: string, peer: PeerCertificate) => Error | undefined {
  return (host, peer) => {
    const identity = identityFromSubjectAltName(peer.subjectaltname);
    if (identity !== undefined && expected.allows(identity)) return undefined;
    return new Error(`server ${host} presents identity ${identity?.spiffeId ?? '(none)'}, not one of ${expected.describe().join(', ')}`);
  };
}

/**
 * An undici Agent that presents our certificate (edge → token-service, authctl → services).
 * New connections use the certificate current at connect time; pooled ones keep the one they
 * were made with, which stays valid for the handshake that already happened.
 */
export function createMeshAgent(source: CertificateSource, options: MeshClientOptions = {}): Agent {
  let connector = buildConnector(clientTlsOptions(source.current, options));
  source.onChange((material) => {
    connector = buildConnector(clientTlsOptions(material, options));
  });
  return new Agent({ connect: (connectOptions, callback) => connector(connectOptions, callback) });
}
