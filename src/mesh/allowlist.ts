import { IDENTITY_FORMS, isKubernetesName, isTrustDomain, parseServiceIdentity, type ServiceIdentity } from './identity.js';

/**
 * One allowlist entry: an exact identity (either form), or every service account of one namespace
 * written `spiffe://<trust-domain>/ns/<namespace>/sa/*`. The wildcard stands for the whole
 * service-account segment only; trust domain and namespace always match exactly.
 */
export interface AllowlistEntry {
  readonly trustDomain: string;
  readonly namespace: string;
  /** `*` for any service account of the namespace. */
  readonly serviceAccount: string;
}

const NAMESPACE_WILDCARD = /^spiffe:\/\/([^/]+)\/ns\/([^/]+)\/sa\/\*$/;

export const ALLOWLIST_ENTRY_FORMS = `${IDENTITY_FORMS}, or spiffe://<trust-domain>/ns/<namespace>/sa/* for a whole namespace`;

export function parseAllowlistEntry(text: string): AllowlistEntry | undefined {
  const wildcard = NAMESPACE_WILDCARD.exec(text);
  if (wildcard) {
    const [, trustDomain, namespace] = wildcard as unknown as [string, string, string];
    if (!isTrustDomain(trustDomain) || !isKubernetesName(namespace)) return undefined;
    return { trustDomain, namespace, serviceAccount: '*' };
  }
  return parseServiceIdentity(text);
}

/** The identities allowed to call one internal endpoint. An empty allowlist admits nobody. */
export class IdentityAllowlist {
  private constructor(private readonly entries: readonly AllowlistEntry[]) {}

  /** Throws on the first entry that is not an identity or a namespace wildcard. */
  static parse(entries: readonly string[]): IdentityAllowlist {
    return new IdentityAllowlist(
      entries.map((text) => {
        const entry = parseAllowlistEntry(text);
        if (entry === undefined) throw new Error(`${JSON.stringify(text)} is not ${ALLOWLIST_ENTRY_FORMS}`);
        return entry;
      }),
    );
  }

  static of(identities: readonly ServiceIdentity[]): IdentityAllowlist {
    return new IdentityAllowlist(identities);
  }

  allows(identity: ServiceIdentity): boolean {
    return this.entries.some(
      (entry) =>
        entry.trustDomain === identity.trustDomain &&
        entry.namespace === identity.namespace &&
        (entry.serviceAccount === '*' || entry.serviceAccount === identity.serviceAccount),
    );
  }

  /** The entries in canonical SPIFFE form, for docs, logs and `authctl`. */
  describe(): string[] {
    return this.entries.map((e) => `spiffe://${e.trustDomain}/ns/${e.namespace}/sa/${e.serviceAccount}`);
  }
}
