import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { authRoutes, type StandinAuthOptions } from './auth-routes.js';
import { listenLocal } from './listen.js';
import { PostgresRoles } from './postgres-roles.js';
import type { Policy } from './policies.js';
import { secretsRoutes } from './secrets-routes.js';
import { StandinState, type DatabaseRole } from './state.js';
import { sysRoutes } from './sys-routes.js';
import { errors, type Ctx, type Reply, type Route } from './types.js';

export interface StandinOptions {
  /** PostgreSQL admin URL; the database engine creates and drops real roles there. */
  databaseUrl?: string;
  databaseRoles?: Record<string, DatabaseRole>;
  auth?: Partial<StandinAuthOptions>;
  /** ACL policies by name (`loadPolicyFiles('deploy/vault/policies')`); when given, tokens get only what their policies grant. */
  policies?: Record<string, Policy>;
}

type ConnectionFault = { kind: 'none' } | { kind: 'refuse' } | { kind: 'hang' } | { kind: 'delay'; ms: number };

/**
 * A Vault stand-in for tests: a real HTTP server on 127.0.0.1 (port 0) speaking the endpoints
 * auth-platform uses, with Vault's documented bodies, status codes and `{"errors":[...]}`.
 * Faults: seal, refuse connections, hang, delay, fail renewals, revoke a lease, expire a lease.
 */
export class VaultStandin {
  readonly state: StandinState;
  /** `METHOD path` of every request answered, for assertions (no bodies, no tokens). */
  readonly requests: string[] = [];
  private readonly server: Server;
  private readonly routes: Route[];
  private readonly sockets = new Set<Socket>();
  private readonly hanging = new Set<ServerResponse>();
  private fault: ConnectionFault = { kind: 'none' };
  private port = 0;

  private constructor(options: StandinOptions) {
    const roles = options.databaseUrl === undefined ? undefined : new PostgresRoles(options.databaseUrl);
    this.state = new StandinState(roles, options.databaseRoles ?? {}, options.policies);
    const auth: StandinAuthOptions = { tokenTtlS: 3600, tokenMaxTtlS: 86_400, ...options.auth };
    this.routes = [...sysRoutes(this.state), ...authRoutes(this.state, auth), ...secretsRoutes(this.state)];
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  static async start(options: StandinOptions = {}): Promise<VaultStandin> {
    const standin = new VaultStandin(options);
    await standin.listen(0);
    return standin;
  }

  get addr(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get rootToken(): string {
    return this.state.rootToken;
  }

  get unsealKeys(): readonly string[] {
    return this.state.unsealKeys;
  }

  /** As `vault token create -policy=<name>…`: a renewable service token with these policies. */
  createToken(policies: string[], ttlS = 3600): string {
    return this.state.issueToken({ policies, displayName: 'token', ttlS, maxTtlS: 86_400 });
  }

  // ---- faults -------------------------------------------------------------------------

  /** As `vault operator seal`: every endpoint but health, seal-status and unseal answers 503. */
  seal(): void {
    this.state.sealed = true;
    this.state.unsealProgress.clear();
  }

  /** Stops listening and drops open connections: clients get ECONNREFUSED. */
  async refuseConnections(): Promise<void> {
    this.fault = { kind: 'refuse' };
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Accepts requests and never answers them. */
  hang(): void {
    this.fault = { kind: 'hang' };
  }

  delay(ms: number): void {
    this.fault = { kind: 'delay', ms };
  }

  /** The next `count` lease renewals (all, by default) fail with `status` (500 by default). */
  failRenewals(options: { status?: number; count?: number } = {}): void {
    this.state.renewalFault = { status: options.status ?? 500, remaining: options.count ?? -1 };
  }

  /** As `vault lease revoke <id>` by an operator: the role is dropped and its sessions end. */
  async revokeLease(leaseId: string): Promise<void> {
    await this.state.revokeLease(leaseId);
  }

  /** The lease reaches its expiry now: Vault revokes it. */
  async expireLease(leaseId: string): Promise<void> {
    await this.state.revokeLease(leaseId);
  }

  /** Forgets every token but root, as if they had all expired. */
  expireTokens(): void {
    for (const token of [...this.state.tokens.keys()]) if (token !== this.state.rootToken) this.state.tokens.delete(token);
  }

  setHealthMode(mode: StandinState['healthMode']): void {
    this.state.healthMode = mode;
  }

  /** Clears connection faults and renewal failures (a seal stays until unsealed through the API). */
  async heal(): Promise<void> {
    this.state.renewalFault = undefined;
    const previous = this.fault;
    this.fault = { kind: 'none' };
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    if (previous.kind === 'refuse') await this.listen(this.port);
  }

  leaseIds(): string[] {
    return [...this.state.leases.keys()];
  }

  /** Revokes every lease (dropping its role) and stops the server. */
  async close(): Promise<void> {
    for (const id of this.leaseIds()) await this.state.revokeLease(id).catch(() => undefined);
    this.fault = { kind: 'none' };
    this.dropConnections();
    if (this.server.listening) await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- plumbing -------------------------------------------------------------------------

  private async listen(port: number): Promise<void> {
    this.port = await listenLocal(this.server, port);
  }

  private dropConnections(): void {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    for (const socket of this.sockets) socket.destroy();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.fault.kind === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (this.fault.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, (this.fault as { ms: number }).ms));
    let reply: Reply;
    try {
      reply = await this.route(req);
    } catch (error) {
      reply = errors(500, `1 error occurred:\n\t* ${error instanceof Error ? error.message : String(error)}\n\n`);
    }
    const body = reply.body === undefined || req.method === 'HEAD' ? '' : JSON.stringify(reply.body);
    res.writeHead(reply.status, body === '' ? {} : { 'content-type': 'application/json' });
    res.end(body);
  }

  private async route(req: IncomingMessage): Promise<Reply> {
    const url = new URL(req.url ?? '/', 'http://standin');
    if (!url.pathname.startsWith('/v1/')) return errors(404);
    const path = url.pathname.slice('/v1/'.length);
    const method = req.method ?? 'GET';
    this.requests.push(`${method} ${path}`);
    const ctx: Ctx = {
      method, path, query: url.searchParams, req,
      body: await readBody(req),
      token: typeof req.headers['x-vault-token'] === 'string' ? req.headers['x-vault-token'] : undefined,
    };
    let pathKnown = false;
    for (const route of this.routes) {
      const match = route.pattern.exec(path);
      if (match === null) continue;
      pathKnown = true;
      if (!route.methods.includes(method)) continue;
      // https://developer.hashicorp.com/vault/docs/concepts/seal — a sealed Vault answers 503 "Vault is sealed".
      if (this.state.sealed && route.whileSealed !== true) return errors(503, 'Vault is sealed');
      return route.handle(ctx, match);
    }
    if (this.state.sealed) return errors(503, 'Vault is sealed');
    if (pathKnown) return errors(405, 'unsupported operation');
    return errors(404, `no handler for route "${path}". route entry not found.`);
  }
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return {};
  try {
    const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
