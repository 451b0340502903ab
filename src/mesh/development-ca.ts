import 'reflect-metadata';
import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { ServiceIdentity } from './identity.js';

x509.cryptoProvider.set(webcrypto as unknown as webcrypto.Crypto);

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;

/** PEM texts of one issued certificate and its PKCS#8 private key. */
export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export interface DevelopmentCa extends IssuedCertificate {
  certificate: x509.X509Certificate;
  privateKey: webcrypto.CryptoKey;
}

export interface Validity {
  notBefore?: Date;
  notAfter?: Date;
}

/**
 * A development CA (ECDSA P-256) for local mTLS: `authctl certs issue` and the tests use it.
 * Production certificates come from cert-manager, Vault PKI or SPIRE, never from here.
 */
export async function createDevelopmentCa(options: { name?: string; validity?: Validity } = {}): Promise<DevelopmentCa> {
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const { notBefore, notAfter } = validityOf(options.validity, 3650);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.name ?? 'auth-platform development CA'}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificate, privateKey: keys.privateKey, certPem: certificate.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

/** Re-opens a CA written earlier, so re-issuing service certificates keeps the trust bundle unchanged. */
export async function openDevelopmentCa(certPem: string, keyPem: string): Promise<DevelopmentCa> {
  const certificate = new x509.X509Certificate(certPem);
  const der = createPrivateKey(keyPem).export({ format: 'der', type: 'pkcs8' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, EC_KEY, true, ['sign']);
  return { certificate, privateKey, certPem, keyPem };
}

export interface ServiceCertificateRequest {
  identity: ServiceIdentity;
  dnsNames?: string[];
  ipAddresses?: string[];
  validity?: Validity;
}

/** An X.509-SVID: exactly one URI SAN (the SPIFFE ID), usable as TLS server and client certificate. */
export async function issueServiceCertificate(ca: DevelopmentCa, request: ServiceCertificateRequest): Promise<IssuedCertificate> {
  const keys = (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const { notBefore, notAfter } = validityOf(request.validity, 90);
  const names: x509.JsonGeneralName[] = [
    { type: 'url', value: request.identity.spiffeId },
    ...(request.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(request.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${request.identity.serviceAccount}, OU=${request.identity.namespace}`,
    issuer: ca.certificate.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey),
    ],
  });
  return { certPem: certificate.toString('pem'), keyPem: await exportKeyPem(keys.privateKey) };
}

function validityOf(validity: Validity | undefined, defaultDays: number): { notBefore: Date; notAfter: Date } {
  // A minute of backdating absorbs clock skew between the machine that issues and the ones that verify.
  const notBefore = validity?.notBefore ?? new Date(Date.now() - 60_000);
  return { notBefore, notAfter: validity?.notAfter ?? new Date(notBefore.getTime() + defaultDays * DAY_MS) };
}

/** A positive 128-bit serial (the top bit cleared so DER does not read it as negative). */
function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}

async function exportKeyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`;
}
