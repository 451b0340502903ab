import { namingVariable, printableUrl, type DependencyStatus, type Logger, type Registry, type VaultAuthConfig, type VaultConfig } from '../../platform/index.js';
import { assertSecretPath, SecretsUnavailableError, type LeaseView, type SecretData, type SecretsProvider } from '../provider.js';
import { VaultClient } from './client.js';
import { VaultConnection } from './connection.js';
import { isOutage, VaultPermissionError, VaultRequestError } from './errors.js';
import { VaultHttp } from './http.js';
import { LeaseManager } from './lease-manager.js';
import { createVaultMetrics } from './metrics.js';
import { TokenKeeper } from './token-keeper.js';
import type { Random } from './timing.js';

export interface VaultProviderOptions {
  config: VaultConfig;
  logger: Logger;
  /** The service's metrics registry; the Vault gauges and counters are added to it. */
  registry?: Registry;
  /** Tests pin these. */
  now?: () => number;
  random?: Random;
  /** How long a replaced database lease stays valid so the old pool can drain (default 10 s). */
  leaseDrainMs?: number;
}

/**
 * Secrets from Vault: KV v2 under `<kvMount>/<kvPrefix>/…`, a self-renewing token, and (when
 * VAULT_DB_ROLE is set) dynamic PostgreSQL credentials kept by the lease manager.
 *
 * The grace rule lives here: every secret read successfully is remembered; while Vault is
 * sealed or unreachable, reads answer from that memory without waiting on Vault, for
 * VAULT_GRACE_PERIOD. After it, reads throw SecretsUnavailableError (503 `secrets_unavailable`).
 */
export class VaultProvider implements SecretsProvider {
  readonly kind = 'vault' as const;
  /** Present when a database role is configured; its credentials feed the PostgreSQL pool. */
  readonly database: LeaseManager | undefined;
  private readonly lastGood = new Map<string, SecretData | undefined>();
  private readonly client: VaultClient;
  private readonly connection: VaultConnection;
  private readonly tokens: TokenKeeper;

  private constructor(private readonly options: VaultProviderOptions) {
    const { config, logger } = options;
    const http = new VaultHttp({ addr: config.addr, caCertFile: config.caCertFile, namespace: config.namespace, timeoutMs: config.requestTimeoutMs });
    this.client = new VaultClient(http, { token: () => undefined, reauthenticate: async () => false });
    this.connection = new VaultConnection({
      client: this.client, logger, gracePeriodMs: config.gracePeriodMs,
      backoffMinMs: config.backoffMinMs, backoffMaxMs: config.backoffMaxMs, healthIntervalMs: config.healthIntervalMs,
      ...(options.now ? { now: options.now } : {}), ...(options.random ? { random: options.random } : {}),
    });
    this.client.observe(this.connection);
    const metrics = createVaultMetrics(options.registry, {
      up: () => !this.connection.inOutage(),
      sealed: () => this.connection.isSealed(),
      graceRemainingMs: () => this.connection.graceRemainingMs(),
    });
    const backoff = { backoffMinMs: config.backoffMinMs, backoffMaxMs: config.backoffMaxMs, ...(options.random ? { random: options.random } : {}) };
    this.tokens = new TokenKeeper({ client: this.client, auth: config.auth, logger, metrics, ...backoff });
    this.client.useSession(this.tokens);
    this.database = config.databaseRole === undefined ? undefined : new LeaseManager({
      client: this.client, logger, metrics, mount: config.databaseMount, role: config.databaseRole,
      checkIntervalMs: config.leaseCheckIntervalMs, ...backoff,
      ...(options.leaseDrainMs === undefined ? {} : { drainMs: options.leaseDrainMs }),
      ...(options.now ? { now: options.now } : {}),
    });
    // Back from an outage: look at the lease at once, it may have been renewed by nobody.
    this.connection.onRestored(() => void this.database?.checkNow().catch(() => undefined));
  }

  /** Logs in, requests database credentials when configured, and starts watching Vault. Throws when Vault cannot be used. */
  static async start(options: VaultProviderOptions): Promise<VaultProvider> {
    const provider = new VaultProvider(options);
    const { config } = options;
    try {
      await provider.tokens.start().catch((error: unknown) => {
        throw startFailure(config, loginVariable(config.auth), error);
      });
      await provider.database?.start().catch((error: unknown) => {
        throw startFailure(config, { variable: 'VAULT_DB_ROLE', value: config.databaseRole, refusal: 'Vault refused database credentials for this role' }, error);
      });
    } catch (error) {
      await provider.close({ revokeLease: false });
      throw error;
    }
    provider.connection.start();
    options.logger.info({ vault: 'up', addr: options.config.addr, auth: options.config.auth.method }, 'vault: connected');
    return provider;
  }

  async read(path: string): Promise<SecretData | undefined> {
    assertSecretPath(path);
    // During an outage, answer from memory at once rather than wait on a Vault that hangs.
    if (this.connection.inOutage()) return this.fromLastGood(path);
    try {
      const found = await this.client.kvRead(this.options.config.kvMount, this.kvPath(path));
      const data = found?.data;
      this.lastGood.set(path, data === undefined ? undefined : { ...data });
      return data;
    } catch (error) {
      if (isOutage(error)) return this.fromLastGood(path, error);
      throw this.unavailable(`cannot read secret ${path}`, error);
    }
  }

  async write(path: string, data: SecretData): Promise<void> {
    assertSecretPath(path);
    try {
      await this.client.kvWrite(this.options.config.kvMount, this.kvPath(path), data);
      this.lastGood.set(path, { ...data });
    } catch (error) {
      throw this.unavailable(`cannot write secret ${path}`, error);
    }
  }

  status(): DependencyStatus {
    return this.connection.status();
  }

  leases(): LeaseView[] {
    const lease = this.database?.view();
    return lease === undefined ? [] : [lease];
  }

  async close(options: { revokeLease?: boolean } = {}): Promise<void> {
    this.connection.close();
    this.tokens.close();
    await this.database?.close({ revoke: options.revokeLease ?? true });
    await this.client.close();
  }

  private kvPath(path: string): string {
    return `${this.options.config.kvPrefix}/${path}`;
  }

  private fromLastGood(path: string, cause?: unknown): SecretData | undefined {
    if (this.connection.graceRemainingMs() > 0 && this.lastGood.has(path)) {
      const data = this.lastGood.get(path);
      return data === undefined ? undefined : { ...data };
    }
    const status = this.connection.status();
    throw new SecretsUnavailableError(`secret ${path} is unavailable: ${String(status.detail ?? 'Vault cannot be reached')}`, { cause });
  }

  /** The error callers get; a policy that denies the path is also logged, since no retry will fix it. */
  private unavailable(what: string, error: unknown): SecretsUnavailableError {
    if (error instanceof VaultPermissionError) {
      this.options.logger.error({ vault: 'permission_denied', path: error.path, capability: error.capability }, 'vault: permission denied; the policy does not allow this path');
    }
    const reason = error instanceof VaultRequestError || isOutage(error) ? error.message : 'unexpected error';
    return new SecretsUnavailableError(`${what}: ${reason}`, { cause: error });
  }
}

/** What a refused login is about: the token itself, the AppRole pair, or the Kubernetes role. */
function loginVariable(auth: VaultAuthConfig): { variable: string; value: string | undefined; refusal: string } {
  switch (auth.method) {
    case 'token': return { variable: 'VAULT_TOKEN', value: undefined, refusal: 'Vault refused the token' };
    case 'approle': return { variable: 'VAULT_ROLE_ID or VAULT_SECRET_ID', value: undefined, refusal: 'Vault refused the AppRole login' };
    case 'kubernetes': return { variable: 'VAULT_K8S_ROLE', value: auth.role, refusal: 'Vault refused the Kubernetes login' };
  }
}

/**
 * Why Vault cannot be used at start, as one line naming the variable to look at: VAULT_ADDR when
 * Vault is unreachable, sealed or failing; the step's own variable when Vault refused it. A
 * policy that denies a path, and an unreadable credential file, already say what is wrong.
 */
function startFailure(
  config: VaultConfig,
  step: { variable: string; value: string | undefined; refusal: string },
  error: unknown,
): SecretsUnavailableError {
  const detail = error instanceof Error ? error.message : String(error);
  let message = `cannot start the Vault secrets provider: ${detail}`;
  if (isOutage(error)) message = namingVariable('VAULT_ADDR', printableUrl(config.addr), `Vault cannot be used: ${detail}`);
  else if (error instanceof VaultRequestError && !(error instanceof VaultPermissionError)) message = namingVariable(step.variable, step.value, `${step.refusal}: ${detail}`);
  return new SecretsUnavailableError(message, { cause: error });
}
