import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Agent, fetch, type Dispatcher } from 'undici';
import { certificateFiles, clientTlsOptions, loadCertificateMaterial } from '../mesh/index.js';
import { EnvReader, readMeshConfig, SERVICE_ACCOUNTS } from '../platform/index.js';

export interface GlobalOptions {
  url: string;
  adminTokenFile: string;
  json?: boolean;
}

/** Options every command shares; environment variables give the defaults. */
export function addGlobalOptions(program: Command): void {
  program
    .option('--url <url>', 'token-service internal (admin) listener URL (AUTHCTL_URL)', process.env.AUTHCTL_URL ?? 'http://127.0.0.1:8443')
    .option('--admin-token-file <file>', 'file holding the admin token; AUTH_ADMIN_TOKEN takes precedence', process.env.AUTHCTL_ADMIN_TOKEN_FILE ?? './data/admin-token')
    .option('--json', 'print machine-readable JSON');
}

export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals<GlobalOptions>();
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
  constructor(private readonly baseUrl: string, private readonly token: string, private readonly dispatcher?: Dispatcher) {}

  /** Under MESH=native the internal listener wants authctl's client certificate (MESH_CERT_DIR/authctl.crt). */
  static async from(options: GlobalOptions): Promise<AdminApi> {
    const env = new EnvReader(process.env);
    const mesh = readMeshConfig(env);
    env.finish();
    const dispatcher = mesh.mode === 'native'
      ? new Agent({ connect: clientTlsOptions(await loadCertificateMaterial(certificateFiles(mesh, SERVICE_ACCOUNTS.ctl))) })
      : undefined;
    return new AdminApi(options.url.replace(/\/$/, ''), readAdminToken(options.adminTokenFile), dispatcher);
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    let response: Awaited<ReturnType<typeof fetch>>;
    try {
      response = await fetch(this.baseUrl + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(15_000),
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
    } catch (error) {
      throw new Error(`cannot reach ${this.baseUrl}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await response.text();
    const parsed = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      const code = String(parsed.code ?? parsed.error ?? `http_${response.status}`);
      throw new AdminApiError(response.status, code, `${method} ${path}: ${response.status} ${code}: ${String(parsed.detail ?? parsed.title ?? parsed.error_description ?? '')}`);
    }
    const auditHead = response.headers.get('audit-head');
    // After each admin action, on stderr so --json output stays parseable: the operator keeps it
    // outside the database, and `authctl audit verify --head` later proves nothing after it was lost.
    if (method !== 'GET' && auditHead !== null) process.stderr.write(`audit head: ${auditHead}\n`);
    return parsed as T;
  }
}

function readAdminToken(file: string): string {
  const fromEnv = process.env.AUTH_ADMIN_TOKEN;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!existsSync(file)) throw new Error(`no admin token: set AUTH_ADMIN_TOKEN or pass --admin-token-file (looked in ${file})`);
  return readFileSync(file, 'utf8').trim();
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
