import { Counter, Gauge, Registry } from '../../platform/index.js';

export interface VaultMetrics {
  leaseRenewals: Counter<'result'>;
  credentialRotations: Counter<'reason'>;
  tokenRenewals: Counter<'result'>;
}

/** What the gauges read at scrape time; labels are fixed words, never paths, lease ids or users. */
export interface VaultGaugeSource {
  up(): boolean;
  sealed(): boolean;
  graceRemainingMs(): number;
}

/**
 * Vault metrics on the service's registry (or a private one): whether Vault is reachable,
 * whether it is sealed, the grace that remains, and how leases and the token are kept.
 */
export function createVaultMetrics(registry: Registry | undefined, source: VaultGaugeSource): VaultMetrics {
  const registers = [registry ?? new Registry()];
  new Gauge({ name: 'vault_up', help: '1 while Vault answers, 0 during an outage', registers, collect() { this.set(source.up() ? 1 : 0); } });
  new Gauge({ name: 'vault_sealed', help: '1 while Vault reports itself sealed', registers, collect() { this.set(source.sealed() ? 1 : 0); } });
  new Gauge({
    name: 'vault_grace_remaining_seconds',
    help: 'Seconds the cached secrets keep serving during a Vault outage (the full grace while Vault is up)',
    registers,
    collect() { this.set(source.graceRemainingMs() / 1000); },
  });
  return {
    leaseRenewals: new Counter({ name: 'vault_lease_renewals_total', help: 'Database lease renewals by result (ok, error, refused)', labelNames: ['result'] as const, registers }),
    credentialRotations: new Counter({ name: 'vault_credential_rotations_total', help: 'New database credentials requested, by reason', labelNames: ['reason'] as const, registers }),
    tokenRenewals: new Counter({ name: 'vault_token_renewals_total', help: 'Vault token renewals and logins by result', labelNames: ['result'] as const, registers }),
  };
}
