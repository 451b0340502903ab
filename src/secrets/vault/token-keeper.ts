import type { Logger, VaultAuthConfig } from '../../platform/index.js';
import { login } from './auth-login.js';
import type { VaultAuth, VaultClient, VaultSession } from './client.js';
import { VaultRequestError } from './errors.js';
import type { VaultMetrics } from './metrics.js';
import { backoffDelay, renewalDelay, Timer, type Random } from './timing.js';

export interface TokenKeeperOptions {
  client: VaultClient;
  auth: VaultAuthConfig;
  logger: Logger;
  metrics: VaultMetrics;
  backoffMinMs: number;
  backoffMaxMs: number;
  random?: Random;
}

/**
 * Keeps a usable Vault token: renews it itself at about 2/3 of its TTL, and logs in again
 * (AppRole, Kubernetes) when it cannot be renewed: refused, or capped by its max TTL.
 * A static VAULT_TOKEN is renewed while it can be; a root token (TTL 0) needs nothing.
 */
export class TokenKeeper implements VaultSession {
  private current: string | undefined;
  private ttlS = 0;
  private readonly timer = new Timer();
  private failures = 0;
  private relogin: Promise<boolean> | undefined;
  private closed = false;

  constructor(private readonly options: TokenKeeperOptions) {
    if (options.auth.method === 'token') this.current = options.auth.token;
  }

  token(): string | undefined {
    return this.current;
  }

  /** First login (or a lookup of the static token, to learn its TTL). Throws when Vault refuses or cannot be reached. */
  async start(): Promise<void> {
    if (this.options.auth.method === 'token') {
      const info = await this.options.client.tokenLookupSelf(this.current);
      this.keep(info.ttlS, info.renewable);
      return;
    }
    const auth = await login(this.options.client, this.options.auth);
    if (auth !== undefined) this.adopt(auth);
  }

  async reauthenticate(): Promise<boolean> {
    if (this.options.auth.method === 'token' || this.closed) return false;
    this.relogin ??= this.loginAgain().finally(() => {
      this.relogin = undefined;
    });
    return this.relogin;
  }

  close(): void {
    this.closed = true;
    this.timer.cancel();
  }

  private async loginAgain(): Promise<boolean> {
    try {
      const auth = await login(this.options.client, this.options.auth);
      if (auth === undefined) return false;
      this.adopt(auth);
      this.options.metrics.tokenRenewals.inc({ result: 'login' });
      this.options.logger.info({ vault: 'login', method: this.options.auth.method }, 'vault: logged in again');
      return true;
    } catch (error) {
      this.options.metrics.tokenRenewals.inc({ result: 'error' });
      this.options.logger.warn({ vault: 'login_failed', method: this.options.auth.method, err: error }, 'vault: login failed');
      this.retryLater();
      return false;
    }
  }

  private adopt(auth: VaultAuth): void {
    this.current = auth.clientToken;
    this.failures = 0;
    this.keep(auth.leaseDurationS, auth.renewable);
  }

  private keep(ttlS: number, renewable: boolean): void {
    this.ttlS = ttlS;
    if (ttlS <= 0 || this.closed) return; // a token without TTL never expires
    const delay = renewalDelay(ttlS * 1000, this.options.random);
    this.timer.set(delay, () => void (renewable ? this.renew() : this.reauthenticate()));
  }

  private async renew(): Promise<void> {
    const requested = this.ttlS;
    try {
      const auth = await this.options.client.tokenRenewSelf(requested);
      this.options.metrics.tokenRenewals.inc({ result: 'ok' });
      this.failures = 0;
      this.current = auth.clientToken;
      // Capped below what we asked for: the max TTL is near, so log in again before it.
      if (auth.leaseDurationS < requested && this.options.auth.method !== 'token') {
        this.ttlS = auth.leaseDurationS;
        this.timer.set(renewalDelay(auth.leaseDurationS * 1000, this.options.random), () => void this.reauthenticate());
      } else {
        this.keep(auth.leaseDurationS, auth.renewable);
      }
    } catch (error) {
      this.options.metrics.tokenRenewals.inc({ result: 'error' });
      if (error instanceof VaultRequestError && (await this.reauthenticate())) return;
      if (error instanceof VaultRequestError && this.options.auth.method === 'token') {
        this.options.logger.error({ vault: 'token_not_renewable', err: error }, 'vault: token cannot be renewed; set a new VAULT_TOKEN');
        return;
      }
      this.retryLater();
    }
  }

  private retryLater(): void {
    if (this.closed) return;
    const delay = backoffDelay(this.failures++, this.options.backoffMinMs, this.options.backoffMaxMs, this.options.random);
    this.timer.set(delay, () => void (this.options.auth.method === 'token' ? this.renew() : this.reauthenticate()));
  }
}
