export {
  parseServiceIdentity,
  parseSpiffeId,
  parseLinkerdIdentity,
  serviceIdentity,
  sameIdentity,
  IDENTITY_FORMS,
  type ServiceIdentity,
} from './identity.js';
export { IdentityAllowlist, parseAllowlistEntry, type AllowlistEntry } from './allowlist.js';
export { identityOfCertificate, identityFromSubjectAltName } from './peer-certificate.js';
export {
  loadCertificateMaterial,
  parsePemCertificates,
  CertificateMaterialError,
  type CertificateFiles,
  type CertificateMaterial,
} from './certificate-material.js';
export { CertificateSource, type CertificateSourceOptions, type ReloadOutcome } from './certificate-source.js';
export { monitorCertificateExpiry, certificateReadiness, expiryState, daysLeft, type ExpiryState } from './certificate-expiry.js';
export { meshServerTlsOptions, reloadServerCertificates, type ClientCertificatePolicy } from './server-tls.js';
export { clientTlsOptions, createMeshAgent, type MeshClientOptions } from './client-tls.js';
export {
  installCallerIdentity,
  callerMatchesBinding,
  identityOfTlsPeer,
  LINKERD_CLIENT_ID_HEADER,
} from './caller-identity.js';
export { identityGuard, IDENTITY_REQUIRED, IDENTITY_NOT_ALLOWED } from './require-identity.js';
export { createMesh, certificateFiles, type Mesh, type MeshOptions } from './mesh.js';
export { reportCertificate, reportCertificateFile, reportPresentedCertificate, type CertificateReport } from './certificate-report.js';
export { checkCertificates, existingFiles, type CertificateCheckLine, type CertificateCheckOptions } from './certificate-check.js';
export { writeDevelopmentCertificates, type DevelopmentCertificatesOptions, type WrittenCertificate } from './development-certificates.js';
