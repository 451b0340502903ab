import { VaultOutageError, VaultPermissionError, VaultRequestError } from './errors.js';
import { segments, type VaultHttp, type VaultRequest } from './http.js';

/** A login or token renewal: the `auth` block of Vault's response. */
export interface VaultAuth {
  clientToken: string;
  leaseDurationS: number;
  renewable: boolean;
  policies: string[];
}

export interface TokenInfo {
  ttlS: number;
  renewable: boolean;
  policies: string[];
  displayName: string;
}

export interface DatabaseCredentials {
  username: string;
  password: string;
  leaseId: string;
  leaseDurationS: number;
  renewable: boolean;
}

export interface LeaseRenewal {
  leaseId: string;
  leaseDurationS: number;
  renewable: boolean;
  warnings: string[];
}

export interface LeaseInfo {
  id: string;
  ttlS: number;
  renewable: boolean;
  issueTime: string;
  expireTime: string | null;
  lastRenewal: string | null;
}

export interface SealStatus {
  type: string;
  initialized: boolean;
  sealed: boolean;
  threshold: number;
  shares: number;
  progress: number;
  version: string;
}

export interface HealthReport {
  /** The HTTP status is the verdict: 200 active, 429 standby, 472 DR secondary, 473 perf standby, 501 uninitialised, 503 sealed. */
  status: number;
  initialized: boolean;
  sealed: boolean;
  standby: boolean;
  version: string;
}

/** Where the client gets its token, and how it gets a new one when Vault says the old one is no good. */
export interface VaultSession {
  token(): string | undefined;
  /** Logs in again; false when the auth method cannot (a static VAULT_TOKEN). */
  reauthenticate(): Promise<boolean>;
}

/** Told about every round trip, so one place knows whether Vault is reachable. */
export interface VaultObserver {
  succeeded(): void;
  failed(error: VaultOutageError): void;
}

/** The Vault endpoints auth-platform uses, typed. Each method names the API page it follows. */
export class VaultClient {
  private observer: VaultObserver | undefined;

  constructor(private readonly http: VaultHttp, private session: VaultSession) {}

  observe(observer: VaultObserver): void {
    this.observer = observer;
  }

  useSession(session: VaultSession): void {
    this.session = session;
  }

  /** api-docs/system/health; never throws for the documented status codes. */
  async health(): Promise<HealthReport> {
    const { status, body } = await this.http.send<Record<string, unknown>>({
      method: 'GET', path: 'sys/health', accept: [429, 472, 473, 474, 501, 503],
    });
    return {
      status,
      initialized: body?.initialized === true,
      sealed: body?.sealed === true,
      standby: body?.standby === true,
      version: typeof body?.version === 'string' ? body.version : '',
    };
  }

  /** api-docs/system/seal-status */
  async sealStatus(): Promise<SealStatus> {
    const { body } = await this.http.send<Record<string, unknown>>({ method: 'GET', path: 'sys/seal-status' });
    return toSealStatus(body);
  }

  /** api-docs/system/unseal: one key share; Vault unseals once the threshold is met. */
  async unseal(key: string): Promise<SealStatus> {
    const { body } = await this.http.send<Record<string, unknown>>({ method: 'POST', path: 'sys/unseal', body: { key } });
    return toSealStatus(body);
  }

  /** api-docs/system/unseal with `reset`: discards the shares submitted so far. */
  async unsealReset(): Promise<SealStatus> {
    const { body } = await this.http.send<Record<string, unknown>>({ method: 'POST', path: 'sys/unseal', body: { reset: true } });
    return toSealStatus(body);
  }

  /** api-docs/system/seal (needs a sudo token). */
  async seal(): Promise<void> {
    await this.authed({ method: 'PUT', path: 'sys/seal' });
  }

  /** api-docs/auth/approle#login-with-approle, api-docs/auth/kubernetes#login: POST auth/<mount>/login. */
  async login(mount: string, credentials: Record<string, string>): Promise<VaultAuth> {
    const { body } = await this.tracked(() =>
      this.http.send<{ auth?: RawAuth }>({ method: 'POST', path: `auth/${segments(mount)}/login`, body: credentials }),
    );
    return toAuth(body?.auth, 'login');
  }

  /** api-docs/auth/token#lookup-a-token-self; the token itself is not returned to callers. */
  async tokenLookupSelf(token?: string): Promise<TokenInfo> {
    const request: VaultRequest = { method: 'GET', path: 'auth/token/lookup-self' };
    const { body } = token === undefined
      ? await this.authed<{ data?: Record<string, unknown> }>(request)
      : await this.tracked(() => this.http.send<{ data?: Record<string, unknown> }>({ ...request, token }));
    const data = body?.data ?? {};
    return {
      ttlS: Number(data.ttl ?? 0),
      renewable: data.renewable === true,
      policies: Array.isArray(data.policies) ? data.policies.map(String) : [],
      displayName: typeof data.display_name === 'string' ? data.display_name : '',
    };
  }

  /** api-docs/auth/token#renew-a-token-self */
  async tokenRenewSelf(incrementS?: number): Promise<VaultAuth> {
    const { body } = await this.tracked(() =>
      this.http.send<{ auth?: RawAuth }>({
        method: 'POST', path: 'auth/token/renew-self', token: this.session.token(),
        body: incrementS === undefined ? {} : { increment: `${incrementS}s` },
      }),
    );
    return toAuth(body?.auth, 'token renewal');
  }

  /** api-docs/secret/kv/kv-v2#read-secret-version; undefined when nothing (or a deleted version) is there. */
  async kvRead(mount: string, path: string, version?: number): Promise<{ data: Record<string, string>; version: number } | undefined> {
    const { status, body } = await this.authed<{ data?: { data?: Record<string, unknown> | null; metadata?: { version?: number } } }>({
      method: 'GET', path: `${segments(mount)}/data/${segments(path)}`, accept: [404],
      ...(version === undefined ? {} : { query: { version: String(version) } }),
    });
    const data = body?.data?.data;
    if (status === 404 || data === undefined || data === null) return undefined;
    return { data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)])), version: Number(body?.data?.metadata?.version ?? 0) };
  }

  /** api-docs/secret/kv/kv-v2#create-update-secret */
  async kvWrite(mount: string, path: string, data: Record<string, string>): Promise<{ version: number }> {
    const { body } = await this.authed<{ data?: { version?: number } }>({
      method: 'POST', path: `${segments(mount)}/data/${segments(path)}`, body: { data },
    });
    return { version: Number(body?.data?.version ?? 0) };
  }

  /** api-docs/secret/databases#generate-credentials */
  async databaseCredentials(mount: string, role: string): Promise<DatabaseCredentials> {
    const { body } = await this.authed<RawLease & { data?: { username?: string; password?: string } }>({
      method: 'GET', path: `${segments(mount)}/creds/${segments(role)}`,
    });
    if (typeof body?.data?.username !== 'string' || typeof body.data.password !== 'string' || typeof body.lease_id !== 'string') {
      throw new VaultRequestError(200, [], `vault GET /v1/${mount}/creds/${role}: response has no username, password or lease_id`);
    }
    return {
      username: body.data.username,
      password: body.data.password,
      leaseId: body.lease_id,
      leaseDurationS: Number(body.lease_duration ?? 0),
      renewable: body.renewable === true,
    };
  }

  /** api-docs/system/leases#read-lease */
  async leaseLookup(leaseId: string): Promise<LeaseInfo> {
    const { body } = await this.authed<{ data?: Record<string, unknown> }>({ method: 'PUT', path: 'sys/leases/lookup', body: { lease_id: leaseId } });
    const data = body?.data ?? {};
    return {
      id: String(data.id ?? leaseId),
      ttlS: Number(data.ttl ?? 0),
      renewable: data.renewable === true,
      issueTime: String(data.issue_time ?? ''),
      expireTime: typeof data.expire_time === 'string' ? data.expire_time : null,
      lastRenewal: typeof data.last_renewal === 'string' ? data.last_renewal : typeof data.last_renewal_time === 'string' ? data.last_renewal_time : null,
    };
  }

  /** api-docs/system/leases#renew-lease */
  async leaseRenew(leaseId: string, incrementS?: number): Promise<LeaseRenewal> {
    const { body } = await this.authed<RawLease & { warnings?: string[] | null }>({
      method: 'PUT', path: 'sys/leases/renew',
      body: incrementS === undefined ? { lease_id: leaseId } : { lease_id: leaseId, increment: incrementS },
    });
    return {
      leaseId: typeof body?.lease_id === 'string' ? body.lease_id : leaseId,
      leaseDurationS: Number(body?.lease_duration ?? 0),
      renewable: body?.renewable === true,
      warnings: Array.isArray(body?.warnings) ? body.warnings.map(String) : [],
    };
  }

  /** api-docs/system/leases#revoke-lease */
  async leaseRevoke(leaseId: string): Promise<void> {
    await this.authed({ method: 'PUT', path: 'sys/leases/revoke', body: { lease_id: leaseId } });
  }

  /** api-docs/system/leases#revoke-prefix (needs sudo) */
  async leaseRevokePrefix(prefix: string): Promise<void> {
    await this.authed({ method: 'PUT', path: `sys/leases/revoke-prefix/${segments(prefix)}` });
  }

  close(): Promise<void> {
    return this.http.close();
  }

  /**
   * A request with the session's token. A 403 means an expired or revoked token, or a policy that
   * does not allow the path: the session logs in again once and the request is retried; a 403
   * with a fresh (or still valid) token is a VaultPermissionError naming the path.
   */
  private async authed<T>(request: VaultRequest): Promise<{ status: number; body: T | undefined }> {
    const send = () => this.tracked(() => this.http.send<T>({ ...request, token: this.session.token() }));
    try {
      return await send();
    } catch (error) {
      if (!isForbidden(error)) throw error;
      if (!(await this.session.reauthenticate())) {
        if (await this.tokenAlive()) throw new VaultPermissionError(request.path, capabilityOf(request.method), error.errors);
        throw error;
      }
      try {
        return await send();
      } catch (again) {
        if (isForbidden(again)) throw new VaultPermissionError(request.path, capabilityOf(request.method), again.errors);
        throw again;
      }
    }
  }

  /** Whether Vault still knows the session's token (a static VAULT_TOKEN cannot log in again to find out). */
  private async tokenAlive(): Promise<boolean> {
    const token = this.session.token();
    if (token === undefined) return false;
    return this.tokenLookupSelf(token).then(() => true, () => false);
  }

  private async tracked<R>(call: () => Promise<R>): Promise<R> {
    try {
      const result = await call();
      this.observer?.succeeded();
      return result;
    } catch (error) {
      if (error instanceof VaultOutageError) this.observer?.failed(error);
      else this.observer?.succeeded(); // a 4xx is still Vault answering
      throw error;
    }
  }
}

function isForbidden(error: unknown): error is VaultRequestError {
  return error instanceof VaultRequestError && error.status === 403;
}

/** The policy capability a request needs (docs/concepts/policies#capabilities): KV writes need create or update. */
function capabilityOf(method: VaultRequest['method']): string {
  switch (method) {
    case 'GET': return 'read';
    case 'LIST': return 'list';
    case 'DELETE': return 'delete';
    default: return 'create/update';
  }
}

interface RawAuth {
  client_token?: string;
  lease_duration?: number;
  renewable?: boolean;
  policies?: string[] | null;
}

interface RawLease {
  lease_id?: string;
  lease_duration?: number;
  renewable?: boolean;
}

function toAuth(auth: RawAuth | undefined, what: string): VaultAuth {
  if (auth === undefined || typeof auth.client_token !== 'string') {
    throw new VaultRequestError(200, [], `vault ${what}: response has no auth block`);
  }
  return {
    clientToken: auth.client_token,
    leaseDurationS: Number(auth.lease_duration ?? 0),
    renewable: auth.renewable === true,
    policies: Array.isArray(auth.policies) ? auth.policies.map(String) : [],
  };
}

function toSealStatus(body: Record<string, unknown> | undefined): SealStatus {
  return {
    type: String(body?.type ?? 'shamir'),
    initialized: body?.initialized !== false,
    sealed: body?.sealed === true,
    threshold: Number(body?.t ?? 0),
    shares: Number(body?.n ?? 0),
    progress: Number(body?.progress ?? 0),
    version: String(body?.version ?? ''),
  };
}
