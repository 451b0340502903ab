import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, fetch, type RequestInit, type Response } from 'undici';
import { SERVICE_ACCOUNTS } from '../../../src/platform/index.js';
import { createPki, type Pki } from '../../mesh/support.js';
import { TEST_REDIS_URL } from '../../support/databases.js';
import { freePort } from '../../support/free-port.js';
import { exitOf, spawnService, type ServiceProcess } from '../../support/service-process.js';
import { TcpFaultProxy } from '../../support/tcp-fault-proxy.js';
import { basicAuth } from '../../support/token-service.js';
import { loadPolicyFiles, VaultStandin } from '../../support/vault-standin/index.js';
import { databaseFixture } from '../../vault/support.js';
import { runAuthctlTyping, type AuthctlResult } from '../../support/authctl.js';

/** One authctl run, with the command line as the runbook writes it. */
export interface AuthctlRun extends AuthctlResult {
  command: string;
}

/** For assertion messages: the command and everything it printed. */
export function shown(run: AuthctlRun): string {
  return `${run.command} exited ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

export interface PlatformOptions {
  /** `native`: our own mTLS, with a CA and certificates made here; `none`: internal listeners answer loopback callers only. */
  mesh: 'none' | 'native';
  /** VAULT_GRACE_PERIOD: short, so a drill sees the grace run out. */
  gracePeriod: string;
  /**
   * PostgreSQL and Redis behind TCP proxies the drill can cut, without touching the machine's
   * servers (others use them). Only then do the services get REDIS_URL: the shared Redis carries
   * every test's revocation channel, which must not reach a drill's edge under load.
   */
  cuttableDataStores?: boolean;
}

/** The demo client `main.js` creates on first start, its secret read from AUTH_DATA_DIR as the welcome text says. */
export interface DemoClient {
  client_id: string;
  client_secret: string;
}

export interface Platform {
  /** What every part shares, as an operator's environment file holds it: ports, AUTH_DATA_DIR, MESH, Vault, the stores. */
  env: Record<string, string>;
  /** The operator's shell: the shared variables and a Vault token of their own. */
  operatorEnv: Record<string, string>;
  standin: VaultStandin;
  pki: Pki | undefined;
  database: TcpFaultProxy | undefined;
  redis: TcpFaultProxy | undefined;
  tokenService: ServiceProcess;
  edge: ServiceProcess;
  issuer: string;
  internalUrl: string;
  edgeUrl: string;
  internalPort: number;
  demoClient: DemoClient;
  /** fetch that trusts our CA and presents authctl's certificate under MESH=native. */
  fetch(url: string, init?: RequestInit): Promise<Response>;
  /** The runbook's `authctl …`, run as the operator; `input` is typed at its prompt. */
  authctl(args: string[], input?: string): Promise<AuthctlRun>;
  /** `POST /oauth2/token` with client_credentials for the demo client. */
  requestToken(): Promise<Response>;
  /** An access token for the demo client (the welcome text's first curl); fails the drill if none is issued. */
  accessToken(): Promise<string>;
  close(): Promise<void>;
}

/** Vault timings shortened where the drill waits on detection; the reconnect backoff keeps its documented default (2 s cap). */
const VAULT_TIMINGS = { VAULT_REQUEST_TIMEOUT: '1s', VAULT_HEALTH_INTERVAL: '250ms' };

/**
 * The platform as an operator starts it on one machine: the Vault stand-in (shipped policies,
 * dynamic PostgreSQL credentials as real roles), then `main.js token-service` and `main.js edge`
 * as separate processes, each with its own Vault token, sharing one environment file.
 */
export async function startPlatform(options: PlatformOptions): Promise<Platform> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step().catch(() => undefined);
  };
  try {
    return await assemble(options, cleanups, cleanup);
  } catch (error) {
    await cleanup();
    throw error;
  }
}

async function assemble(options: PlatformOptions, cleanups: Array<() => Promise<unknown>>, cleanup: () => Promise<void>): Promise<Platform> {
  const fixture = await databaseFixture({ defaultTtlS: 600, maxTtlS: 7200 }, { actAsGroup: true });
  cleanups.push(() => fixture.drop());
  const standin = await VaultStandin.start({
    databaseUrl: fixture.url, databaseRoles: { 'token-service': fixture.role }, policies: loadPolicyFiles('deploy/vault/policies'),
  });
  cleanups.push(() => standin.close());
  const dataDir = mkdtempSync(join(tmpdir(), 'drill-'));
  cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));

  let database: TcpFaultProxy | undefined;
  let redis: TcpFaultProxy | undefined;
  if (options.cuttableDataStores) {
    database = await TcpFaultProxy.start(fixture.serviceUrl);
    cleanups.push(() => database!.close());
    redis = await TcpFaultProxy.start(TEST_REDIS_URL);
    cleanups.push(() => redis!.close());
  }

  let pki: Pki | undefined;
  if (options.mesh === 'native') {
    pki = await createPki();
    cleanups.push(() => pki!.close());
    for (const serviceAccount of Object.values(SERVICE_ACCOUNTS)) await pki.issue(serviceAccount);
    // The CA's key beside its certificate, as `authctl certs issue` leaves it, so the runbook's renewal reuses this CA.
    await writeFile(join(pki.dir, 'ca.key'), pki.ca.keyPem, { mode: 0o600 });
  }

  const [port, internalPort, edgePort] = [await freePort(), await freePort(), await freePort()];
  const env: Record<string, string> = {
    LOG_LEVEL: 'info',
    AUTH_DATA_DIR: dataDir,
    TOKEN_SERVICE_PORT: String(port),
    TOKEN_SERVICE_INTERNAL_PORT: String(internalPort),
    EDGE_PORT: String(edgePort),
    MESH: options.mesh,
    ...(pki ? { MESH_CERT_DIR: pki.dir } : {}),
    DATABASE_URL: database ? database.url(fixture.serviceUrl) : fixture.serviceUrl,
    ...(redis ? { REDIS_URL: redis.url(TEST_REDIS_URL) } : {}),
    SECRETS_PROVIDER: 'vault',
    VAULT_ADDR: standin.addr,
    VAULT_GRACE_PERIOD: options.gracePeriod,
    ...VAULT_TIMINGS,
    // A drill's load comes from one address and one client; the limits are not what it exercises.
    EDGE_RATE_LIMIT_IP: 'off',
    EDGE_RATE_LIMIT_SUBJECT: 'off',
  };
  const scheme = options.mesh === 'native' ? 'https' : 'http';
  const issuer = `${scheme}://127.0.0.1:${port}`;
  const internalUrl = `${scheme}://127.0.0.1:${internalPort}`;
  const edgeUrl = `${scheme}://127.0.0.1:${edgePort}`;

  const dispatcher = pki === undefined ? undefined : new Agent({
    connect: {
      ca: readFileSync(join(pki.dir, 'ca.crt')),
      cert: readFileSync(join(pki.dir, 'authctl.crt')),
      key: readFileSync(join(pki.dir, 'authctl.key')),
    },
  });
  if (dispatcher) cleanups.push(() => dispatcher.close());
  const platformFetch = (url: string, init: RequestInit = {}) => fetch(url, { ...init, ...(dispatcher ? { dispatcher } : {}) });

  // token-service first: it stores the revocation feed token in Vault, where the edge reads it.
  const tokenService = spawnService('token-service', { ...env, VAULT_TOKEN: standin.createToken(['token-service']), VAULT_DB_ROLE: 'token-service' });
  diesWithTheDrill(tokenService);
  cleanups.push(() => stopService(tokenService, 'token-service'));
  await untilStarted(tokenService, 'token-service');
  const edge = spawnService('edge', { ...env, VAULT_TOKEN: standin.createToken(['auth-edge-service']) });
  diesWithTheDrill(edge);
  cleanups.push(() => stopService(edge, 'edge'));
  await untilStarted(edge, 'edge');

  const demoClient = { client_id: 'demo', client_secret: readFileSync(join(dataDir, 'demo-client-secret'), 'utf8').trim() };
  const operatorEnv = { ...env, VAULT_TOKEN: standin.rootToken };
  const requestToken = () => platformFetch(`${issuer}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(demoClient) },
    body: 'grant_type=client_credentials',
  });
  return {
    env, operatorEnv, standin, pki, database, redis, tokenService, edge, issuer, internalUrl, edgeUrl, internalPort, demoClient,
    fetch: platformFetch,
    authctl: async (args, input = '') => ({ command: `authctl ${args.join(' ')}`, ...(await runAuthctlTyping(operatorEnv, input, ...args)) }),
    requestToken,
    async accessToken() {
      const response = await requestToken();
      const body = await response.text();
      if (response.status !== 200) throw new Error(`POST ${issuer}/oauth2/token: ${response.status} ${body}`);
      return (JSON.parse(body) as { access_token: string }).access_token;
    },
    close: cleanup,
  };
}

/** Service processes still running, killed if the drill's own process ends first. */
const running = new Set<ServiceProcess>();
let guarded = false;

/**
 * The runner ends a drill that overruns its timeout with SIGTERM, and no `after` hook runs then:
 * without this its services would outlive it, holding ports and database roles.
 */
function diesWithTheDrill(service: ServiceProcess): void {
  running.add(service);
  void service.closed.then(() => running.delete(service));
  if (guarded) return;
  guarded = true;
  const killAll = () => {
    for (const { child } of running) child.kill('SIGKILL');
  };
  process.once('exit', killAll);
  process.once('SIGTERM', () => {
    killAll();
    process.exit(143);
  });
}

/** The last line of the start banner, printed once the service listens and the demo client exists. */
export const STARTED = /^Admin token: /m;

/** Up once it prints its start banner; fails with its output if it exits first. */
async function untilStarted(service: ServiceProcess, name: string): Promise<void> {
  await untilOutput(service, name, STARTED, 60_000);
}

/**
 * Waits (bounded) until the service has written `text` to its log, polling; fails naming what was
 * awaited, with the log, if the deadline passes or the process exits. The deadline is a bound,
 * not an assertion, except where the caller passes the runbook's own promise (5 s).
 */
export async function untilOutput(service: ServiceProcess, name: string, text: string | RegExp, deadlineMs: number, occurrences = 1): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const output = service.stdout() + service.stderr();
    if (count(output, text) >= occurrences) return;
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${name} exited (${service.child.exitCode ?? service.child.signalCode}) before logging ${String(text)}:\n${tail(output)}`);
    }
    if (Date.now() >= deadline) throw new Error(`${name} did not log ${String(text)} within ${deadlineMs / 1000} s:\n${tail(output)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Occurrences of a log message (`"msg":"…"`) or pattern in `output`. */
export function count(output: string, text: string | RegExp): number {
  if (typeof text === 'string') return output.split(text).length - 1;
  return output.match(new RegExp(text.source, text.flags.includes('g') ? text.flags : `${text.flags}g`))?.length ?? 0;
}

/** `"msg":"<message>"` as it appears in the JSON log: what `grep` finds. */
export function logMessage(message: string): string {
  return `"msg":"${message}`;
}

function tail(output: string): string {
  return output.split('\n').slice(-40).join('\n');
}

async function stopService(service: ServiceProcess, name: string): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill('SIGTERM');
  await exitOf(service, name, 20_000);
}
