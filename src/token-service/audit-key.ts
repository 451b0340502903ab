import type { SecretsProvider } from '../secrets/index.js';
import type { AuditKey, AuditLogRepository } from '../store/index.js';
import { generateSecret } from './bootstrap-secrets.js';

/** Beside the client-secret pepper: in Vault under token-service's own KV prefix, locally in secrets.enc. */
export const AUDIT_KEY_PATH = 'token-service/audit-hmac-key';

function parse(data: Record<string, string>): AuditKey {
  const key = Buffer.from(data.value ?? '', 'base64url');
  const fromSeq = Number(data.fromSeq);
  if (key.length !== 32 || !Number.isSafeInteger(fromSeq) || fromSeq < 1) {
    throw new Error(`secrets provider: ${AUDIT_KEY_PATH} must hold a 32-byte base64url value and a positive fromSeq`);
  }
  return { key, fromSeq };
}

/**
 * The key that HMACs audit entries, created on first start. It records the first entry it covers
 * (the next sequence number at creation), so entries written before it existed, by an earlier
 * version, verify by their hash chain alone and are reported as such. It lives outside the
 * database: someone who can write the audit table cannot read it.
 */
export async function loadAuditKey(secrets: SecretsProvider, audit: AuditLogRepository): Promise<AuditKey> {
  const existing = await secrets.read(AUDIT_KEY_PATH);
  if (existing !== undefined) return parse(existing);
  const fromSeq = ((await audit.head())?.seq ?? 0) + 1;
  await secrets.write(AUDIT_KEY_PATH, { value: generateSecret(), fromSeq: String(fromSeq) });
  // Two replicas starting together may both write; each uses the one that was stored last.
  return parse((await secrets.read(AUDIT_KEY_PATH)) ?? {});
}
