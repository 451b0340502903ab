import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../platform/index.js';
import { createDevelopmentCa, issueServiceCertificate, openDevelopmentCa, type DevelopmentCa } from './development-ca.js';
import { serviceIdentity } from './identity.js';

export interface DevelopmentCertificatesOptions {
  dir: string;
  trustDomain: string;
  namespace: string;
  serviceAccounts: readonly string[];
  validityDays: number;
  /** Replace an existing CA; otherwise a CA already in `dir` is reused, so running services keep trusting it. */
  newCa?: boolean;
}

export interface WrittenCertificate {
  spiffeId: string;
  certFile: string;
  keyFile: string;
}

const DAY_MS = 86_400_000;
/** Names each service answers to locally and in the k8s deploy, so host-name checks pass too. */
const LOCAL_IPS = ['127.0.0.1', '::1'];

/**
 * Writes `ca.crt`/`ca.key` and `<service-account>.crt`/`.key` for each service into `dir`, the
 * layout `MESH_CERT_DIR` expects. Keys are 0600. Each file is written beside its target and
 * renamed over it, so a running service watching `dir` never reads half a file.
 */
export async function writeDevelopmentCertificates(options: DevelopmentCertificatesOptions): Promise<{ ca: string; issued: WrittenCertificate[] }> {
  await mkdir(options.dir, { recursive: true, mode: 0o700 });
  const caFile = join(options.dir, 'ca.crt');
  const caKeyFile = join(options.dir, 'ca.key');
  const ca = (options.newCa ? undefined : await openExistingCa(caFile, caKeyFile)) ?? (await createDevelopmentCa());
  writeFileAtomically(caKeyFile, ca.keyPem, 0o600);
  writeFileAtomically(caFile, ca.certPem, 0o644);

  const issued: WrittenCertificate[] = [];
  for (const serviceAccount of options.serviceAccounts) {
    const identity = serviceIdentity(options.trustDomain, options.namespace, serviceAccount);
    if (identity === undefined) throw new Error(`${JSON.stringify(serviceAccount)} is not a service account name`);
    const svc = `${serviceAccount}.${options.namespace}.svc`;
    const { certPem, keyPem } = await issueServiceCertificate(ca, {
      identity,
      dnsNames: ['localhost', serviceAccount, svc, `${svc}.${options.trustDomain}`],
      ipAddresses: LOCAL_IPS,
      validity: { notAfter: new Date(Date.now() + options.validityDays * DAY_MS) },
    });
    const keyFile = join(options.dir, `${serviceAccount}.key`);
    const certFile = join(options.dir, `${serviceAccount}.crt`);
    // Key first: a watcher that sees the new key with the old certificate rejects the pair and waits.
    writeFileAtomically(keyFile, keyPem, 0o600);
    writeFileAtomically(certFile, certPem, 0o644);
    issued.push({ spiffeId: identity.spiffeId, certFile, keyFile });
  }
  return { ca: caFile, issued };
}

async function openExistingCa(certFile: string, keyFile: string): Promise<DevelopmentCa | undefined> {
  try {
    return await openDevelopmentCa(await readFile(certFile, 'utf8'), await readFile(keyFile, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
