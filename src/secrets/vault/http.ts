import { readFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { VaultOutageError, VaultRequestError, type OutageReason } from './errors.js';

export interface VaultHttpOptions {
  /** VAULT_ADDR, e.g. `https://vault.vault.svc:8200`. */
  addr: string;
  caCertFile?: string | undefined;
  namespace?: string | undefined;
  /** Whole request, connect to last byte: a Vault that hangs is an outage after this. */
  timeoutMs: number;
}

export interface VaultRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE' | 'LIST';
  /** Under `/v1/`, e.g. `sys/health`; each segment already URL-safe. */
  path: string;
  token?: string | undefined;
  body?: unknown;
  query?: Record<string, string>;
  /** Statuses that are answers rather than errors (sys/health's 429/472/473/501/503, KV's 404). */
  accept?: readonly number[];
}

export interface VaultResponse<T> {
  status: number;
  body: T | undefined;
}

const CONNECTION_REFUSED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const TIMEOUTS = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/**
 * Vault's HTTP API over undici: one keep-alive agent (trusting VAULT_CACERT when set), JSON in
 * and out, `X-Vault-Token` / `X-Vault-Namespace` headers, and every failure turned into either
 * a VaultOutageError or a VaultRequestError. We talk to Vault directly rather than through a
 * client library because the grace rule needs exactly this split and a hard per-request timeout.
 */
export class VaultHttp {
  private readonly agent: Agent;
  private readonly base: string;

  constructor(private readonly options: VaultHttpOptions) {
    this.base = `${options.addr.replace(/\/+$/, '')}/v1/`;
    const ca = options.caCertFile === undefined ? undefined : readFileSync(options.caCertFile);
    this.agent = new Agent({
      connect: { timeout: options.timeoutMs, ...(ca === undefined ? {} : { ca }) },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async send<T>(req: VaultRequest): Promise<VaultResponse<T>> {
    try {
      return await this.attempt<T>(req);
    } catch (error) {
      // A pooled keep-alive connection the server already closed is not an outage: one retry on a fresh one.
      if (error instanceof VaultOutageError && error.reason === 'network') return this.attempt<T>(req);
      throw error;
    }
  }

  private async attempt<T>(req: VaultRequest): Promise<VaultResponse<T>> {
    const url = new URL(req.path, this.base);
    for (const [name, value] of Object.entries(req.query ?? {})) url.searchParams.set(name, value);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (req.token !== undefined) headers['x-vault-token'] = req.token;
    if (this.options.namespace !== undefined) headers['x-vault-namespace'] = this.options.namespace;
    if (req.body !== undefined) headers['content-type'] = 'application/json';
    const where = `${req.method} /v1/${req.path}`;
    let status: number;
    let text: string;
    try {
      const response = await request(url, {
        method: req.method,
        headers,
        dispatcher: this.agent,
        signal: AbortSignal.timeout(this.options.timeoutMs),
        ...(req.body === undefined ? {} : { body: JSON.stringify(req.body) }),
      });
      status = response.statusCode;
      text = await response.body.text();
    } catch (error) {
      const reason = networkReason(error);
      throw new VaultOutageError(reason, `vault ${where}: ${reason === 'timeout' ? `no answer within ${this.options.timeoutMs}ms` : reason === 'refused' ? 'connection refused' : 'network error'}`, { cause: error });
    }
    const body = parseJson<T & { errors?: unknown }>(text);
    if ((status >= 200 && status < 300) || req.accept?.includes(status)) return { status, body };
    const errors = Array.isArray(body?.errors) ? body.errors.filter((e): e is string => typeof e === 'string') : [];
    const said = errors.length > 0 ? `: ${errors.join('; ')}` : '';
    if (status === 503 && errors.some((e) => /sealed/i.test(e))) {
      throw new VaultOutageError('sealed', `vault ${where}: Vault is sealed`);
    }
    if (status >= 500) throw new VaultOutageError('http_5xx', `vault ${where}: HTTP ${status}${said}`);
    throw new VaultRequestError(status, errors, `vault ${where}: HTTP ${status}${said}`);
  }

  async close(): Promise<void> {
    // destroy, not close: a request hanging on a dead Vault must not hold shutdown.
    await this.agent.destroy();
  }
}

function parseJson<T>(text: string): T | undefined {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

function networkReason(error: unknown): OutageReason {
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== undefined && e !== null && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const { code, name } = e as { code?: string; name?: string };
    if (name === 'TimeoutError' || name === 'AbortError' || (code !== undefined && TIMEOUTS.has(code))) return 'timeout';
    if (code !== undefined && CONNECTION_REFUSED.has(code)) return 'refused';
  }
  return 'network';
}

/** One path segment made safe for a URL (KV keys, lease ids keep their slashes via `segments`). */
export function segments(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
