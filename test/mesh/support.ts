import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { Agent } from 'undici';
import { EnvReader, Readiness, createHttpApp, createLogger, createServiceMetrics, type Env, type Logger, type MeshConfig, type ServiceMetrics } from '../../src/platform/index.js';
import { readMeshConfig } from '../../src/platform/config/mesh.js';
import { createMesh, serviceIdentity, type ClientCertificatePolicy, type Mesh, type ServiceIdentity } from '../../src/mesh/index.js';
import { createDevelopmentCa, issueServiceCertificate, type DevelopmentCa, type Validity } from '../../src/mesh/development-ca.js';
import { writeDevelopmentCertificates } from '../../src/mesh/index.js';
import { startTestTokenService, type TestTokenService } from '../support/token-service.js';

export const TRUST_DOMAIN = 'cluster.local';
export const NAMESPACE = 'auth-platform';

/** The SPIFFE ID of `serviceAccount` in the test trust domain and namespace. */
export const spiffe = (serviceAccount: string) => `spiffe://${TRUST_DOMAIN}/ns/${NAMESPACE}/sa/${serviceAccount}`;

export function identity(serviceAccount: string, trustDomain = TRUST_DOMAIN, namespace = NAMESPACE): ServiceIdentity {
  const id = serviceIdentity(trustDomain, namespace, serviceAccount);
  if (!id) throw new Error(`bad test identity ${serviceAccount}`);
  return id;
}

/** The mesh section of the config, read from `env` exactly as at start. */
export function meshConfig(env: Env): MeshConfig {
  const reader = new EnvReader(env);
  const config = readMeshConfig(reader);
  reader.finish();
  return config;
}

export interface Pki {
  dir: string;
  ca: DevelopmentCa;
  /** Issues a certificate for `serviceAccount` and writes `<name>.crt|.key`; returns the paths. */
  issue(serviceAccount: string, options?: { name?: string; validity?: Validity; ca?: DevelopmentCa; trustDomain?: string }): Promise<{ cert: string; key: string; ca: string }>;
  close(): Promise<void>;
}

/** A temp dir with a fresh CA (`ca.crt`), issued by our own issuing code. */
export async function createPki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'mesh-test-'));
  const ca = await createDevelopmentCa();
  await writeFile(join(dir, 'ca.crt'), ca.certPem);
  return {
    dir,
    ca,
    async issue(serviceAccount, options = {}) {
      const name = options.name ?? serviceAccount;
      const issued = await issueServiceCertificate(options.ca ?? ca, {
        identity: identity(serviceAccount, options.trustDomain),
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        ...(options.validity ? { validity: options.validity } : {}),
      });
      const paths = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), ca: join(dir, 'ca.crt') };
      await writeFile(paths.key, issued.keyPem, { mode: 0o600 });
      await writeFile(paths.cert, issued.certPem);
      return paths;
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A pino destination that keeps every line, so tests can assert on what was logged. */
export function captureLogs(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'debug', name: 'mesh-test', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  return { logger, lines };
}

export interface InternalService {
  app: FastifyInstance;
  mesh: Mesh;
  port: number;
  readiness: Readiness;
  metrics: ServiceMetrics;
  lines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * An internal listener mounted the way token-service mounts it: `/whoami` reports the caller
 * identity, `/introspect` is guarded by the introspect allowlist.
 */
export async function startInternalService(env: Env, serviceAccount = 'token-service', clientCertificate: ClientCertificatePolicy = 'required'): Promise<InternalService> {
  const { logger, lines } = captureLogs();
  const metrics = createServiceMetrics('mesh-test', { defaultMetrics: false });
  const readiness = new Readiness();
  const mesh = await createMesh({ config: meshConfig(env), serviceAccount, logger, metrics, readiness });
  const app = createHttpApp({ logger, metrics, readiness, https: mesh.serverOptions(clientCertificate) });
  mesh.install(app);
  app.get('/whoami', async (request) => ({
    caller: request.callerIdentity?.spiffeId ?? null,
    l5d: request.headers['l5d-client-id'] ?? null,
    clientSerial: (request.raw.socket as Partial<TLSSocket>).getPeerX509Certificate?.()?.serialNumber ?? null,
  }));
  app.get('/introspect', { preHandler: mesh.requireIdentity(mesh.allow.introspect) }, async (request) => ({ ok: true, caller: request.callerIdentity?.spiffeId ?? null }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    app,
    mesh,
    port,
    readiness,
    metrics,
    lines,
    async close() {
      await app.close();
      mesh.close();
    },
  };
}

export interface HttpsResult {
  status: number;
  body: Record<string, unknown>;
  /** Serial number of the certificate the server presented. */
  serverSerial: string;
}

/** Client TLS options from PEM files; without cert and key, a client that presents no certificate. */
export async function tlsOf(files: { cert?: string; key?: string; ca: string }): Promise<ConnectionOptions> {
  return {
    ca: await readFile(files.ca),
    ...(files.cert ? { cert: await readFile(files.cert) } : {}),
    ...(files.key ? { key: await readFile(files.key) } : {}),
  };
}

/** One request on a fresh connection (no pooling), so every call does its own handshake. */
export function httpsGet(port: number, path: string, tls: ConnectionOptions, headers: Record<string, string> = {}): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      const socket = res.socket as TLSSocket;
      const serverSerial = socket.getPeerX509Certificate()?.serialNumber ?? '';
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'), serverSerial }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Plain HTTP, for the Linkerd and no-mesh modes. */
export async function httpGet(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

export interface MeshTokenService {
  ts: TestTokenService;
  /** A connection presenting the certificate of `serviceAccount`, or none; one pooled agent per caller. */
  as(serviceAccount?: string): Agent;
  close(): Promise<void>;
}

/**
 * A token-service under MESH=native with development certificates (`writeDevelopmentCertificates`)
 * for `serviceAccounts` in a temp dir; closing closes every agent, the service and the dir.
 */
export async function startMeshTokenService(options: { dirPrefix: string; serviceAccounts: string[]; env?: Record<string, string> }): Promise<MeshTokenService> {
  const dir = await mkdtemp(join(tmpdir(), options.dirPrefix));
  let ts: TestTokenService;
  try {
    await writeDevelopmentCertificates({ dir, trustDomain: TRUST_DOMAIN, namespace: NAMESPACE, validityDays: 1, serviceAccounts: options.serviceAccounts });
    ts = await startTestTokenService({ env: { MESH: 'native', MESH_CERT_DIR: dir, ...options.env } });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const agents = new Map<string, Agent>();
  return {
    ts,
    as(serviceAccount) {
      const key = serviceAccount ?? '';
      if (!agents.has(key)) {
        const ca = readFileSync(join(dir, 'ca.crt'));
        agents.set(key, new Agent({
          connect: serviceAccount === undefined
            ? { ca }
            : { ca, cert: readFileSync(join(dir, `${serviceAccount}.crt`)), key: readFileSync(join(dir, `${serviceAccount}.key`)) },
        }));
      }
      return agents.get(key)!;
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close()));
      await ts.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
