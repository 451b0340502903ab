/**
 * Workload identities. Both forms we accept name a Kubernetes service account in a trust domain:
 *
 *   SPIFFE:  spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>
 *   Linkerd: <service-account>.<namespace>.serviceaccount.identity.linkerd.<trust-domain>
 *
 * Parsing is strict and never normalises: no case folding, no percent-decoding, no dot segments,
 * no extra path segments, no query, port or user info. Anything else is not an identity, so two
 * strings that look alike to a human can never compare equal here unless they are byte-identical.
 *
 * This file has no imports on purpose: the config loader uses it to validate allowlists at start.
 */

export interface ServiceIdentity {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  /** The canonical form, `spiffe://<trust-domain>/ns/<ns>/sa/<sa>`: what allowlists, logs and `cnf.spiffe_id` carry. */
  readonly spiffeId: string;
}

/** A DNS-1123 label, which Kubernetes requires of namespaces; we require it of service accounts too. */
const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A trust domain: dot-separated lowercase DNS labels (`cluster.local`, `prod.example.org`). */
const TRUST_DOMAIN = `${LABEL}(?:\\.${LABEL})*`;

const SPIFFE_ID = new RegExp(`^spiffe://(${TRUST_DOMAIN})/ns/(${LABEL})/sa/(${LABEL})$`);
const LINKERD_ID = new RegExp(`^(${LABEL})\\.(${LABEL})\\.serviceaccount\\.identity\\.linkerd\\.(${TRUST_DOMAIN})$`);
const LABEL_ONLY = new RegExp(`^${LABEL}$`);
const TRUST_DOMAIN_ONLY = new RegExp(`^${TRUST_DOMAIN}$`);

/** SPIFFE caps an ID at 2048 bytes and a trust domain at 255 characters. */
const MAX_ID_LENGTH = 2048;
const MAX_TRUST_DOMAIN_LENGTH = 255;

export function serviceIdentity(trustDomain: string, namespace: string, serviceAccount: string): ServiceIdentity | undefined {
  if (!isTrustDomain(trustDomain) || !LABEL_ONLY.test(namespace) || !LABEL_ONLY.test(serviceAccount)) return undefined;
  return Object.freeze({
    trustDomain,
    namespace,
    serviceAccount,
    spiffeId: `spiffe://${trustDomain}/ns/${namespace}/sa/${serviceAccount}`,
  });
}

export function isTrustDomain(text: string): boolean {
  return text.length <= MAX_TRUST_DOMAIN_LENGTH && TRUST_DOMAIN_ONLY.test(text);
}

export function isKubernetesName(text: string): boolean {
  return LABEL_ONLY.test(text);
}

export function parseSpiffeId(text: unknown): ServiceIdentity | undefined {
  if (typeof text !== 'string' || text.length > MAX_ID_LENGTH) return undefined;
  const match = SPIFFE_ID.exec(text);
  return match ? serviceIdentity(match[1]!, match[2]!, match[3]!) : undefined;
}

export function parseLinkerdIdentity(text: unknown): ServiceIdentity | undefined {
  if (typeof text !== 'string' || text.length > MAX_ID_LENGTH) return undefined;
  const match = LINKERD_ID.exec(text);
  return match ? serviceIdentity(match[3]!, match[2]!, match[1]!) : undefined;
}

/** Either form; the scheme decides which grammar applies, so one can never be read as the other. */
export function parseServiceIdentity(text: unknown): ServiceIdentity | undefined {
  if (typeof text !== 'string') return undefined;
  return text.startsWith('spiffe://') ? parseSpiffeId(text) : parseLinkerdIdentity(text);
}

export function sameIdentity(a: ServiceIdentity, b: ServiceIdentity): boolean {
  return a.spiffeId === b.spiffeId;
}

export const IDENTITY_FORMS =
  'a SPIFFE ID spiffe://<trust-domain>/ns/<namespace>/sa/<service-account> ' +
  'or a Linkerd identity <service-account>.<namespace>.serviceaccount.identity.linkerd.<trust-domain>';
