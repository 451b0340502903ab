import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { Agent, fetch, type Dispatcher, type RequestInit, type Response } from 'undici';
import { certificateFiles, clientTlsOptions, IdentityAllowlist, loadCertificateMaterial, serviceIdentity, type CertificateMaterial } from '../mesh/index.js';
import { SERVICE_ACCOUNTS, type AdminTokenSource, type CtlConfig, type MeshConfig } from '../platform/index.js';

/** The root command. It carries the configuration the entry point read once, for every command to find. */
export class AuthctlProgram extends Command {
  constructor(readonly config: CtlConfig) {
    super('authctl');
  }
}

export interface GlobalOptions {
  url: string;
  edgeUrl: string;
  /** Only when given on the command line; otherwise the configured source applies. */
  adminTokenFile?: string;
  json?: boolean;
  config: CtlConfig;
}

/**
 * Options every command shares. They are the program's, so they work before or after the
 * command (`authctl --json certs check` and `authctl certs check --json`); no command may define
 * one of them again, or the program's would swallow it.
 */
export function addGlobalOptions(program: AuthctlProgram): void {
  const { config } = program;
  program
    .option('--url <url>', "token-service's internal (admin) listener (AUTHCTL_URL; else TOKEN_SERVICE_INTERNAL_HOST/PORT, https under MESH=native)", config.tokenServiceUrl)
    .option('--edge-url <url>', 'auth-edge-service (AUTHCTL_EDGE_URL; else EDGE_HOST/EDGE_PORT, https under MESH=native)', config.edgeUrl)
    .option('--admin-token-file <file>', `file holding the admin token (default: ${describeAdminToken(config.adminToken)})`)
    .option('--json', 'print machine-readable JSON');
}

export function globalOptions(command: Command): GlobalOptions {
  let root = command;
  while (root.parent) root = root.parent;
  if (!(root instanceof AuthctlProgram)) throw new Error('authctl: command is not registered on the authctl program');
  return { ...command.optsWithGlobals<Omit<GlobalOptions, 'config'>>(), config: root.config };
}

/** The service did not answer at all: refused, reset, TLS refused, timed out. */
export class ServiceUnreachableError extends Error {
  constructor(readonly url: string, message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'ServiceUnreachableError';
  }
}

/** fetch says only "fetch failed"; the reason (ECONNREFUSED, a TLS verification code) is in its cause. */
export function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  const message = typeof cause?.message === 'string' ? cause.message : error instanceof Error ? error.message : String(error);
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  if (code === undefined) return message;
  return message.includes(code) ? code : `${code} (${message})`;
}

/**
 * One service authctl talks to, by the URL it was given. Under MESH=native the connection
 * presents authctl's certificate and accepts only a server that chains to the CA bundle and
 * carries that service's SPIFFE ID. Every failure names the URL.
 */
export class ServiceEndpoint {
  constructor(readonly name: string, readonly url: string, private readonly dispatcher: Dispatcher | undefined) {}

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await fetch(this.url + path, { ...init, ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}) });
    } catch (error) {
      // The cause stays the system or TLS error, for callers that word the failure themselves.
      const cause = (error as { cause?: unknown } | null)?.cause ?? error;
      // A TLS listener hangs up on plain HTTP: the usual sign of a MESH setting other than the services'.
      const hint = this.url.startsWith('http:') && /UND_ERR_SOCKET|ECONNRESET/.test(reasonOf(error))
        ? '; if it serves TLS, run authctl with the services\' MESH=native'
        : '';
      throw new ServiceUnreachableError(this.url, `cannot reach ${this.name} at ${this.url}: ${reasonOf(error)}${hint}`, { cause });
    }
  }
}

export interface PlatformEndpoints {
  tokenService: ServiceEndpoint;
  edge: ServiceEndpoint;
}

async function authctlCertificate(mesh: MeshConfig): Promise<CertificateMaterial> {
  try {
    return await loadCertificateMaterial(certificateFiles(mesh, SERVICE_ACCOUNTS.ctl));
  } catch (error) {
    throw new Error(`MESH=native: authctl needs its certificate to reach the services: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function pinnedAgent(material: CertificateMaterial, mesh: MeshConfig, serviceAccount: string): Agent {
  const identity = serviceIdentity(mesh.trustDomain, mesh.namespace, serviceAccount);
  if (identity === undefined) throw new Error(`${serviceAccount} is not a service account name`);
  return new Agent({ connect: clientTlsOptions(material, { expectedServer: IdentityAllowlist.of([identity]) }) });
}

/** token-service's internal listener and the edge, as the options and configuration name them. */
export async function platformEndpoints(globals: GlobalOptions): Promise<PlatformEndpoints> {
  const { mesh } = globals.config;
  const material = mesh.mode === 'native' ? await authctlCertificate(mesh) : undefined;
  const endpoint = (name: string, url: string, serviceAccount: string) =>
    new ServiceEndpoint(name, url.replace(/\/$/, ''), material && pinnedAgent(material, mesh, serviceAccount));
  return {
    tokenService: endpoint('token-service internal API', globals.url, SERVICE_ACCOUNTS.tokenService),
    edge: endpoint('auth-edge-service', globals.edgeUrl, SERVICE_ACCOUNTS.edge),
  };
}

/** A failed admin call, carrying the API's stable problem code. */
export class AdminApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message);
    this.name = 'AdminApiError';
  }
}

/** The token-service admin API, authenticated with the operator's admin token. */
export class AdminApi {
  constructor(private readonly endpoint: ServiceEndpoint, private readonly token: string, private readonly tokenSource: AdminTokenSource) {}

  static async from(options: GlobalOptions): Promise<AdminApi> {
    const source: AdminTokenSource = options.adminTokenFile === undefined
      ? options.config.adminToken
      : { from: '--admin-token-file', file: options.adminTokenFile };
    const token = readAdminToken(source);
    return new AdminApi((await platformEndpoints(options)).tokenService, token, source);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.endpoint.fetch(path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    const parsed = parseObject(text);
    if (!response.ok) {
      const code = String(parsed?.code ?? parsed?.error ?? `http_${response.status}`);
      const detail = String(parsed?.detail ?? parsed?.title ?? parsed?.error_description ?? '');
      // Whoever answered on this port refused this token: say who and which token, since it may
      // be another server, or the token of another installation.
      const message = response.status === 401
        ? `${this.endpoint.url} refused the admin token from ${describeAdminToken(this.tokenSource)}${detail ? ` (${detail})` : ''}`
        : detail;
      throw new AdminApiError(response.status, code, `${method} ${path}: ${response.status} ${code}: ${message}`);
    }
    if (parsed === undefined) {
      throw new AdminApiError(response.status, 'unexpected_response', `${method} ${path}: ${this.endpoint.url} answered ${response.status} without JSON: is it token-service's internal listener?`);
    }
    const auditHead = response.headers.get('audit-head');
    // After each admin action, on stderr so --json output stays parseable: the operator keeps it
    // outside the database, and `authctl audit verify --head` later proves nothing after it was lost.
    if (method !== 'GET' && auditHead !== null) process.stderr.write(`audit head: ${auditHead}\n`);
    return parsed as T;
  }
}

/** A JSON object, or undefined for an empty body or anything else (another server's HTML page). */
function parseObject(text: string): Record<string, unknown> | undefined {
  if (text.length === 0) return {};
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Names the token's source, never the token. */
export function describeAdminToken(source: AdminTokenSource): string {
  if (source.from === 'AUTH_ADMIN_TOKEN') return 'AUTH_ADMIN_TOKEN';
  const origin = source.from === 'AUTH_DATA_DIR' ? 'AUTH_DATA_DIR/admin-token' : source.from;
  return `${resolve(source.file)} (${origin})`;
}

function readAdminToken(source: AdminTokenSource): string {
  if (source.from === 'AUTH_ADMIN_TOKEN') return source.token;
  let token: string;
  try {
    token = readFileSync(source.file, 'utf8').trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
    throw new Error(`no admin token: cannot read ${describeAdminToken(source)}: ${reason}; run authctl with the services' AUTH_DATA_DIR, or set AUTH_ADMIN_TOKEN, AUTHCTL_ADMIN_TOKEN_FILE or --admin-token-file`);
  }
  if (token === '') throw new Error(`no admin token: ${describeAdminToken(source)} is empty`);
  return token;
}

/** Prints JSON with --json, otherwise the human rendering. */
export function output(options: GlobalOptions, value: unknown, human: () => string): void {
  process.stdout.write((options.json ? JSON.stringify(value, null, 2) : human()) + '\n');
}

export function table(rows: Array<Record<string, unknown>>, columns: string[]): string {
  if (rows.length === 0) return '(none)';
  const cells = rows.map((row) => columns.map((c) => (row[c] === null || row[c] === undefined ? '-' : String(row[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n');
}
