import type { Logger } from '../../platform/index.js';
import type { LeaseView } from '../provider.js';
import type { DatabaseCredentials, VaultClient } from './client.js';
import { VaultRequestError } from './errors.js';
import type { VaultMetrics } from './metrics.js';
import { backoffDelay, renewalDelay, Timer, type Random } from './timing.js';

/** What a database pool needs; the lease stays inside the manager. */
export interface DbCredentials {
  user: string;
  password: string;
}

export type CredentialsListener = (credentials: DbCredentials) => void | Promise<void>;

export interface LeaseManagerOptions {
  client: VaultClient;
  logger: Logger;
  metrics: VaultMetrics;
  mount: string;
  role: string;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** How often the lease is looked up, so one revoked from outside is replaced within seconds. */
  checkIntervalMs: number;
  /** How long the old credentials stay valid after a swap, so queries on the old pool finish. */
  drainMs?: number;
  now?: () => number;
  random?: Random;
}

interface Lease {
  credentials: DatabaseCredentials;
  issuedAt: number;
  lastRenewal: number | undefined;
  expiresAt: number;
  /** The TTL Vault granted at issue; renewals ask for it again. */
  ttlMs: number;
  /** No further renewal can extend it (max TTL reached, or not renewable): replace it instead. */
  terminal: boolean;
}

/** Give up renewing and replace the lease when less than this share of its TTL remains. */
const REPLACE_WHEN_REMAINING = 1 / 6;
const DEFAULT_DRAIN_MS = 10_000;

/**
 * Keeps dynamic database credentials from Vault's database secrets engine alive:
 * - renews the lease at about 2/3 of its TTL, with jitter;
 * - on a renewal error retries with exponential backoff, capped by the TTL that remains;
 * - when the lease cannot be kept (max TTL reached, revoked, renewal refused, or renewals
 *   failing into the last sixth of its life) requests fresh credentials, tells the listeners
 *   (the pool swaps) and then revokes the old lease, best effort, once the old pool has drained.
 */
export class LeaseManager {
  private lease: Lease | undefined;
  private readonly listeners = new Set<CredentialsListener>();
  private readonly renewTimer = new Timer();
  private readonly checkTimer = new Timer();
  private failures = 0;
  private busy: Promise<void> = Promise.resolve();
  private closed = false;
  private readonly pendingRevocations = new Set<NodeJS.Timeout>();
  private readonly now: () => number;

  constructor(private readonly options: LeaseManagerOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Requests the first credentials; throws when Vault cannot supply them. */
  async start(): Promise<DbCredentials> {
    await this.acquire();
    this.scheduleCheck();
    return this.current();
  }

  current(): DbCredentials {
    if (this.lease === undefined) throw new Error('database credentials requested before the lease manager started');
    return { user: this.lease.credentials.username, password: this.lease.credentials.password };
  }

  /** For `authctl` and logs: the lease id is an identifier, not a secret. */
  leaseId(): string | undefined {
    return this.lease?.credentials.leaseId;
  }

  /** For `authctl leases list`: identifiers and times, never the password. */
  view(): LeaseView | undefined {
    const lease = this.lease;
    if (lease === undefined) return undefined;
    return {
      leaseId: lease.credentials.leaseId,
      role: this.options.role,
      databaseUser: lease.credentials.username,
      issuedAt: new Date(lease.issuedAt).toISOString(),
      lastRenewal: lease.lastRenewal === undefined ? null : new Date(lease.lastRenewal).toISOString(),
      expiresAt: new Date(lease.expiresAt).toISOString(),
      ttlS: Math.max(0, Math.round((lease.expiresAt - this.now()) / 1000)),
      renewable: !lease.terminal,
    };
  }

  onCredentials(listener: CredentialsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * PostgreSQL refused `user` (its role was revoked, or the password is wrong): new credentials
   * now, rather than at the next lease check, unless they were replaced already. Only the
   * credentials in force are replaced, so a database that refuses fresh ones too (pg_hba, a broken
   * creation statement: the pool cannot switch) costs one new lease, not one per query.
   */
  replaceRejected(user: string): Promise<void> {
    return this.exclusive(async () => {
      const lease = this.lease;
      if (lease === undefined || lease.credentials.username !== user) return;
      this.options.logger.warn({ vault: 'credentials_rejected', leaseId: lease.credentials.leaseId, user }, 'vault: the database refused the credentials; requesting new credentials');
      await this.rotate('rejected');
    });
  }

  /** Looks the lease up now (after Vault comes back, or on the check interval). */
  checkNow(): Promise<void> {
    return this.exclusive(() => this.check());
  }

  async close(options: { revoke?: boolean } = {}): Promise<void> {
    this.closed = true;
    this.renewTimer.cancel();
    this.checkTimer.cancel();
    for (const pending of this.pendingRevocations) clearTimeout(pending);
    await this.busy;
    const leaseId = this.lease?.credentials.leaseId;
    if ((options.revoke ?? true) && leaseId !== undefined) await this.revoke(leaseId);
  }

  /** One Vault operation on the lease at a time: a check must not race a rotation. */
  private exclusive(operation: () => Promise<void>): Promise<void> {
    const next = this.busy.then(() => (this.closed ? undefined : operation()));
    this.busy = next.catch(() => undefined);
    return next;
  }

  private async acquire(): Promise<void> {
    const credentials = await this.options.client.databaseCredentials(this.options.mount, this.options.role);
    const ttlMs = credentials.leaseDurationS * 1000;
    const now = this.now();
    this.lease = { credentials, ttlMs, issuedAt: now, lastRenewal: undefined, expiresAt: now + ttlMs, terminal: !credentials.renewable };
    this.failures = 0;
    this.options.logger.info(
      { vault: 'credentials', leaseId: credentials.leaseId, user: credentials.username, ttlS: credentials.leaseDurationS },
      'vault: database credentials issued',
    );
    this.scheduleRenewal(ttlMs);
  }

  private scheduleRenewal(ttlMs: number): void {
    if (this.closed) return;
    this.renewTimer.set(renewalDelay(ttlMs, this.options.random), () => {
      void this.exclusive(() => (this.lease?.terminal ? this.rotate('max_ttl') : this.renew())).catch(() => undefined);
    });
  }

  private scheduleCheck(): void {
    if (this.closed) return;
    this.checkTimer.set(this.options.checkIntervalMs, () => {
      void this.checkNow().catch(() => undefined).finally(() => this.scheduleCheck());
    });
  }

  private async renew(): Promise<void> {
    const lease = this.lease;
    if (lease === undefined) return;
    const requestedS = Math.round(lease.ttlMs / 1000);
    try {
      const renewal = await this.options.client.leaseRenew(lease.credentials.leaseId, requestedS);
      this.options.metrics.leaseRenewals.inc({ result: 'ok' });
      this.failures = 0;
      const grantedMs = renewal.leaseDurationS * 1000;
      lease.lastRenewal = this.now();
      lease.expiresAt = lease.lastRenewal + grantedMs;
      // Vault grants less than asked only when the max TTL caps it: this lease ends there.
      lease.terminal = !renewal.renewable || renewal.leaseDurationS < requestedS;
      this.options.logger.debug({ vault: 'lease_renewed', leaseId: lease.credentials.leaseId, ttlS: renewal.leaseDurationS }, 'vault: lease renewed');
      this.scheduleRenewal(grantedMs);
    } catch (error) {
      if (error instanceof VaultRequestError) {
        this.options.metrics.leaseRenewals.inc({ result: 'refused' });
        this.options.logger.warn({ vault: 'lease_refused', leaseId: lease.credentials.leaseId, err: error }, 'vault: lease renewal refused; requesting new credentials');
        await this.rotate('renewal_refused');
        return;
      }
      this.options.metrics.leaseRenewals.inc({ result: 'error' });
      const remaining = lease.expiresAt - this.now();
      const replaceAt = lease.ttlMs * REPLACE_WHEN_REMAINING;
      if (remaining <= replaceAt) {
        this.options.logger.warn({ vault: 'lease_failing', leaseId: lease.credentials.leaseId, remainingMs: remaining, err: error }, 'vault: lease renewals keep failing; requesting new credentials before expiry');
        await this.rotate('renewal_failing');
        return;
      }
      const delay = Math.min(backoffDelay(this.failures++, this.options.backoffMinMs, this.options.backoffMaxMs, this.options.random), remaining - replaceAt);
      this.options.logger.warn({ vault: 'lease_renewal_failed', leaseId: lease.credentials.leaseId, retryInMs: delay, err: error }, 'vault: lease renewal failed; retrying');
      this.renewTimer.set(Math.max(1, delay), () => void this.exclusive(() => this.renew()).catch(() => undefined));
    }
  }

  private async check(): Promise<void> {
    const lease = this.lease;
    if (lease === undefined) return;
    try {
      const info = await this.options.client.leaseLookup(lease.credentials.leaseId);
      lease.expiresAt = this.now() + info.ttlS * 1000;
    } catch (error) {
      // Vault answered that it does not know the lease: revoked or expired behind our back.
      if (error instanceof VaultRequestError) {
        this.options.logger.warn({ vault: 'lease_gone', leaseId: lease.credentials.leaseId, err: error }, 'vault: lease no longer valid; requesting new credentials');
        await this.rotate('revoked', { revokeOld: false });
      }
    }
  }

  private async rotate(reason: string, options: { revokeOld?: boolean } = {}): Promise<void> {
    const previous = this.lease;
    try {
      await this.acquire();
    } catch (error) {
      const delay = backoffDelay(this.failures++, this.options.backoffMinMs, this.options.backoffMaxMs, this.options.random);
      this.options.logger.error({ vault: 'credentials_failed', reason, retryInMs: delay, err: error }, 'vault: cannot get new database credentials; retrying');
      if (!this.closed) this.renewTimer.set(delay, () => void this.exclusive(() => this.rotate(reason, options)).catch(() => undefined));
      return;
    }
    this.options.metrics.credentialRotations.inc({ reason });
    const next = this.current();
    const results = await Promise.allSettled([...this.listeners].map(async (listener) => listener(next)));
    for (const result of results) {
      if (result.status === 'rejected') {
        this.options.logger.error({ vault: 'credentials_not_applied', reason, err: result.reason }, 'vault: a consumer could not switch to the new database credentials');
      }
    }
    if (previous !== undefined && (options.revokeOld ?? true)) this.revokeAfterDrain(previous);
  }

  private revokeAfterDrain(previous: Lease): void {
    const delay = Math.max(0, Math.min(this.options.drainMs ?? DEFAULT_DRAIN_MS, previous.expiresAt - this.now()));
    const handle = setTimeout(() => {
      this.pendingRevocations.delete(handle);
      void this.revoke(previous.credentials.leaseId);
    }, delay);
    handle.unref();
    this.pendingRevocations.add(handle);
  }

  private async revoke(leaseId: string): Promise<void> {
    try {
      await this.options.client.leaseRevoke(leaseId);
      this.options.logger.info({ vault: 'lease_revoked', leaseId }, 'vault: old lease revoked');
    } catch (error) {
      this.options.logger.warn({ vault: 'lease_revoke_failed', leaseId, err: error }, 'vault: could not revoke old lease; it will expire on its own');
    }
  }
}
