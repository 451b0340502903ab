import type { DependencyStatus, Logger } from '../../platform/index.js';
import type { HealthReport, VaultClient, VaultObserver } from './client.js';
import { VaultOutageError, type OutageReason } from './errors.js';
import { backoffDelay, Timer, type Random } from './timing.js';

export interface VaultConnectionOptions {
  client: VaultClient;
  logger: Logger;
  gracePeriodMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  healthIntervalMs: number;
  now?: () => number;
  random?: Random;
}

type State = { kind: 'up' } | { kind: 'outage'; reason: OutageReason; since: number; graceOverLogged: boolean };

/**
 * Whether Vault can be reached, and for how long the last good secrets may still serve.
 * Every Vault round trip reports here; sys/health is probed on an interval while Vault is up
 * and with capped backoff while it is not. The transitions are the log lines an operator greps
 * for: `vault: sealed`, `vault: unreachable`, `vault: connection restored`.
 */
export class VaultConnection implements VaultObserver {
  private state: State = { kind: 'up' };
  private readonly timer = new Timer();
  private attempt = 0;
  private probing = false;
  private closed = false;
  private readonly restoredListeners: Array<() => void> = [];
  private readonly now: () => number;

  constructor(private readonly options: VaultConnectionOptions) {
    this.now = options.now ?? Date.now;
  }

  start(): void {
    this.schedule(this.options.healthIntervalMs);
  }

  /** Called when Vault comes back, e.g. to renew what could not be renewed during the outage. */
  onRestored(listener: () => void): void {
    this.restoredListeners.push(listener);
  }

  succeeded(): void {
    if (this.state.kind === 'up') return;
    const { reason, since } = this.state;
    this.state = { kind: 'up' };
    this.attempt = 0;
    this.options.logger.info({ vault: 'up', was: reason, downForMs: this.now() - since }, 'vault: connection restored');
    this.schedule(this.options.healthIntervalMs);
    for (const listener of this.restoredListeners) listener();
  }

  failed(error: VaultOutageError): void {
    // A 5xx from one endpoint may be that endpoint (a database plugin failing); sys/health decides.
    if (error.reason === 'http_5xx' && this.state.kind === 'up') {
      this.schedule(0);
      return;
    }
    this.enterOutage(error.reason, error.message);
  }

  inOutage(): boolean {
    return this.state.kind === 'outage';
  }

  isSealed(): boolean {
    return this.state.kind === 'outage' && this.state.reason === 'sealed';
  }

  /** The full grace while Vault is up; what remains of it during an outage; 0 after it. */
  graceRemainingMs(): number {
    if (this.state.kind === 'up') return this.options.gracePeriodMs;
    return Math.max(0, this.options.gracePeriodMs - (this.now() - this.state.since));
  }

  /** For readiness and `authctl vault status`: cheap, no I/O; the grace is always there, full while Vault is up. */
  status(): DependencyStatus {
    if (this.state.kind === 'up') return { status: 'up', provider: 'vault', vault: 'up', graceRemainingMs: this.options.gracePeriodMs };
    const graceRemainingMs = this.graceRemainingMs();
    const what = this.state.reason === 'sealed' ? 'Vault is sealed' : `Vault is unreachable (${this.state.reason})`;
    if (graceRemainingMs > 0) {
      return {
        status: 'degraded', provider: 'vault', vault: this.state.reason, graceRemainingMs,
        detail: `${what}; serving cached secrets for another ${Math.ceil(graceRemainingMs / 1000)}s`,
      };
    }
    return { status: 'down', provider: 'vault', vault: this.state.reason, graceRemainingMs: 0, detail: `${what}; the grace period is over` };
  }

  /** Probes sys/health now and reports what it finds. */
  async probe(): Promise<HealthReport | undefined> {
    try {
      const health = await this.options.client.health();
      const reason = healthOutage(health.status);
      if (reason === undefined) this.succeeded();
      else this.enterOutage(reason, `sys/health answered ${health.status}`);
      return health;
    } catch (error) {
      if (error instanceof VaultOutageError) this.enterOutage(error.reason, error.message);
      return undefined;
    }
  }

  close(): void {
    this.closed = true;
    this.timer.cancel();
  }

  private enterOutage(reason: OutageReason, detail: string): void {
    const previous = this.state;
    if (previous.kind === 'outage' && previous.reason === reason) {
      this.noteGraceOver(previous);
    } else {
      const since = previous.kind === 'outage' ? previous.since : this.now();
      this.state = { kind: 'outage', reason, since, graceOverLogged: false };
      const fields = { vault: reason, graceRemainingMs: this.graceRemainingMs(), detail };
      if (reason === 'sealed') this.options.logger.warn(fields, 'vault: sealed');
      else this.options.logger.warn(fields, 'vault: unreachable');
    }
    if (previous.kind === 'up') this.schedule(this.options.backoffMinMs);
  }

  private noteGraceOver(state: Extract<State, { kind: 'outage' }>): void {
    if (state.graceOverLogged || this.graceRemainingMs() > 0) return;
    state.graceOverLogged = true;
    this.options.logger.error({ vault: state.reason }, 'vault: grace period over; secrets unavailable until Vault is back');
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    this.timer.set(delayMs, () => void this.tick());
  }

  private async tick(): Promise<void> {
    if (this.probing || this.closed) return;
    this.probing = true;
    try {
      await this.probe();
    } finally {
      this.probing = false;
    }
    if (this.state.kind === 'up') {
      this.schedule(this.options.healthIntervalMs);
    } else {
      this.noteGraceOver(this.state);
      this.schedule(backoffDelay(this.attempt++, this.options.backoffMinMs, this.options.backoffMaxMs, this.options.random));
    }
  }
}

/** sys/health codes that mean "do not use this Vault": sealed, uninitialised, DR secondary, other 5xx. */
function healthOutage(status: number): OutageReason | undefined {
  if (status === 200 || status === 429 || status === 473) return undefined;
  if (status === 503) return 'sealed';
  if (status === 501) return 'uninitialized';
  if (status === 472) return 'dr_secondary';
  return 'http_5xx';
}
