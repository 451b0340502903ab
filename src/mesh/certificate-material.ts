import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { ServiceIdentity } from './identity.js';
import { identityOfCertificate } from './peer-certificate.js';

export interface CertificateFiles {
  /** PEM: our certificate first, then any intermediates. */
  cert: string;
  /** PEM private key for the first certificate of `cert`. */
  key: string;
  /** PEM bundle of the CAs whose certificates we accept from peers (and that issued ours). */
  ca: string;
}

/** A validated certificate, key and CA bundle, as bytes ready for a TLS secure context. */
export interface CertificateMaterial {
  files: CertificateFiles;
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
  certificate: X509Certificate;
  notAfter: Date;
  identity: ServiceIdentity;
}

/** Why a set of files cannot be served; the message names the file and never contains key material. */
export class CertificateMaterialError extends Error {
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
    this.name = 'CertificateMaterialError';
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function parsePemCertificates(pem: string, file: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new CertificateMaterialError(file, 'contains no PEM certificate');
  return blocks.map((block) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new CertificateMaterialError(file, 'contains a certificate that cannot be parsed');
    }
  });
}

/**
 * Reads and checks a certificate/key/CA triple before anything serves it: the key must belong to
 * the certificate, the chain must lead to a CA of the bundle, and the certificate must carry a
 * SPIFFE ID. A half-written rotation (new key, old certificate) fails here and is never swapped in.
 * Expiry is not checked: an expired certificate is reported by the expiry monitor, not refused.
 */
export async function loadCertificateMaterial(files: CertificateFiles): Promise<CertificateMaterial> {
  return validateCertificateMaterial(files, await readCertificateFiles(files));
}

export type CertificateBytes = Pick<CertificateMaterial, 'cert' | 'key' | 'ca'>;

export async function readCertificateFiles(files: CertificateFiles): Promise<CertificateBytes> {
  const [cert, key, ca] = await Promise.all([readOrFail(files.cert), readOrFail(files.key), readOrFail(files.ca)]);
  return { cert, key, ca };
}

export function validateCertificateMaterial(files: CertificateFiles, { cert, key, ca }: CertificateBytes): CertificateMaterial {
  const chain = parsePemCertificates(cert.toString('utf8'), files.cert);
  const authorities = parsePemCertificates(ca.toString('utf8'), files.ca);
  const certificate = chain[0]!;

  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch {
    throw new CertificateMaterialError(files.key, 'is not a readable PEM private key');
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CertificateMaterialError(files.key, `does not match the certificate in ${files.cert}`);
  }
  for (let i = 0; i + 1 < chain.length; i++) {
    if (!issuedBy(chain[i]!, chain[i + 1]!)) {
      throw new CertificateMaterialError(files.cert, `certificate ${i + 1} is not issued by the next one in the file`);
    }
  }
  const top = chain[chain.length - 1]!;
  if (!authorities.some((authority) => issuedBy(top, authority))) {
    throw new CertificateMaterialError(files.cert, `is not issued by a CA in ${files.ca}`);
  }
  const identity = identityOfCertificate(certificate);
  if (identity === undefined) {
    throw new CertificateMaterialError(files.cert, 'has no SPIFFE ID (exactly one URI SAN spiffe://<trust-domain>/ns/<ns>/sa/<sa>)');
  }
  try {
    createSecureContext({ cert: cert, key: key, ca: ca });
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'rejected by TLS';
    throw new CertificateMaterialError(files.cert, `cannot be used for TLS (${reason})`);
  }
  return { files, cert: cert, key: key, ca: ca, certificate, notAfter: new Date(certificate.validTo), identity };
}

function issuedBy(subject: X509Certificate, issuer: X509Certificate): boolean {
  return subject.checkIssued(issuer) && subject.verify(issuer.publicKey);
}

async function readOrFail(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new CertificateMaterialError(file, `cannot be read (${code})`);
  }
}

/** The same bytes on disk as what is being served: nothing to reload. */
export function sameBytes(a: CertificateBytes, b: CertificateBytes): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && a.ca.equals(b.ca);
}
