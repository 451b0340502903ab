import type { X509Certificate } from 'node:crypto';
import { parseSpiffeId, type ServiceIdentity } from './identity.js';

/**
 * One entry of Node's subjectAltName text (`DNS:localhost, URI:spiffe://…, IP Address:127.0.0.1`).
 * Node writes a value holding a comma, quote or other special character as a JSON string, so a
 * crafted SAN cannot smuggle a second entry in through a comma; we read the same grammar back.
 */
const SAN_ENTRY = /([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;

/** The URI SANs of a certificate, or undefined when the text does not follow Node's grammar. */
export function uriSubjectAltNames(subjectAltName: string | undefined): string[] | undefined {
  if (subjectAltName === undefined || subjectAltName === '') return [];
  const uris: string[] = [];
  SAN_ENTRY.lastIndex = 0;
  while (SAN_ENTRY.lastIndex < subjectAltName.length) {
    const start = SAN_ENTRY.lastIndex;
    const match = SAN_ENTRY.exec(subjectAltName);
    if (!match || SAN_ENTRY.lastIndex === start) return undefined;
    const [, type, raw] = match as unknown as [string, string, string];
    if (type !== 'URI') continue;
    try {
      uris.push(raw.startsWith('"') ? (JSON.parse(raw) as string) : raw);
    } catch {
      return undefined;
    }
  }
  return uris;
}

/**
 * The identity an X.509-SVID carries. SPIFFE requires exactly one URI SAN; a certificate with
 * none, several, or one that is not a well-formed SPIFFE ID has no identity.
 */
export function identityFromSubjectAltName(subjectAltName: string | undefined): ServiceIdentity | undefined {
  const uris = uriSubjectAltNames(subjectAltName);
  return uris?.length === 1 ? parseSpiffeId(uris[0]) : undefined;
}

export function identityOfCertificate(certificate: X509Certificate): ServiceIdentity | undefined {
  return identityFromSubjectAltName(certificate.subjectAltName);
}
