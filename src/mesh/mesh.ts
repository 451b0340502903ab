import { join } from 'node:path';
import type { ServerOptions } from 'node:https';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance, preHandlerAsyncHookHandler } from 'fastify';
import type { Agent } from 'undici';
import {
  INTERNAL_ENDPOINTS,
  counter,
  type Counter,
  type InternalEndpoint,
  type Logger,
  type MeshConfig,
  type MeshMode,
  type Readiness,
  type ServiceMetrics,
} from '../platform/index.js';
import { IdentityAllowlist } from './allowlist.js';
import { installCallerIdentity } from './caller-identity.js';
import type { CertificateFiles } from './certificate-material.js';
import { monitorCertificateExpiry } from './certificate-expiry.js';
import { CertificateSource } from './certificate-source.js';
import { createMeshAgent, type MeshClientOptions } from './client-tls.js';
import { serviceIdentity, type ServiceIdentity } from './identity.js';
import { identityGuard } from './require-identity.js';
import { meshServerTlsOptions, reloadServerCertificates, type ClientCertificatePolicy } from './server-tls.js';

export interface MeshOptions {
  config: MeshConfig;
  /** The service account this process runs as (`SERVICE_ACCOUNTS.tokenService`, `.edge`, `.ctl`). */
  serviceAccount: string;
  logger: Logger;
  metrics: ServiceMetrics;
  readiness: Readiness;
}

/** Everything a service needs for service identity, whatever the mode. */
export interface Mesh {
  readonly mode: MeshMode;
  /** The allowlist of each internal endpoint group, from `MESH_ALLOW_*`. */
  readonly allow: Readonly<Record<InternalEndpoint, IdentityAllowlist>>;
  /** Our certificate, key and CA bundle, kept current (native mode only). */
  readonly certificates: CertificateSource | undefined;
  /**
   * `https` for `createHttpApp`: in native mode our certificate, with client certificates `required`
   * (internal listeners) or `optional` (listeners that also serve callers without one); null
   * (plain HTTP) in the other modes.
   */
  serverOptions(clientCertificate: ClientCertificatePolicy): ServerOptions | null;
  /** Adds `request.callerIdentity` to every request of `app` and, on a TLS app in native mode, serves reloaded certificates. */
  install(app: FastifyInstance): void;
  /** A preHandler admitting only callers on `allowlist` (401 `identity_required`, 403 `identity_not_allowed`). */
  requireIdentity(allowlist: IdentityAllowlist): preHandlerAsyncHookHandler;
  /** The workloads of our trust domain and namespace with these service accounts, e.g. to pin a server. */
  workloads(...serviceAccounts: string[]): IdentityAllowlist;
  /** An undici dispatcher presenting our certificate in native mode; undefined otherwise (plain HTTP, or the mesh proxy does TLS). */
  createClient(options?: MeshClientOptions): Agent | undefined;
  close(): void;
}

/** Where a service finds its files: explicit `MESH_*_FILE`s, else `<MESH_CERT_DIR>/<service-account>.crt|.key` and `ca.crt`. */
export function certificateFiles(config: MeshConfig, serviceAccount: string): CertificateFiles {
  return {
    cert: config.certFile ?? join(config.certDir, `${serviceAccount}.crt`),
    key: config.keyFile ?? join(config.certDir, `${serviceAccount}.key`),
    ca: config.caFile ?? join(config.certDir, 'ca.crt'),
  };
}

/** Sets up service identity; in native mode, fails (naming the file) when the certificate files are unusable. */
export async function createMesh(options: MeshOptions): Promise<Mesh> {
  const { config, logger, metrics } = options;
  const mode = config.mode;
  const allow = Object.fromEntries(
    INTERNAL_ENDPOINTS.map((endpoint) => [endpoint, IdentityAllowlist.parse(config.allow[endpoint])]),
  ) as Record<InternalEndpoint, IdentityAllowlist>;
  const refusals = counter(metrics.registry, 'mesh_identity_refusals_total', 'Internal requests refused for their caller identity, by problem code', ['code']);
  const guard = identityGuard({ mode, refusals });

  let certificates: CertificateSource | undefined;
  let expiry: { close(): void } | undefined;
  let handshakeFailures: Counter<'reason'> | undefined;
  if (mode === 'native') {
    handshakeFailures = counter(metrics.registry, 'mesh_tls_handshake_failures_total', 'Inbound TLS handshakes refused on mesh TLS listeners, by verification or OpenSSL reason', ['reason']);
    const reloads = counter(metrics.registry, 'mesh_certificate_reloads_total', 'Certificate file changes, by outcome (reloaded or rejected)', ['outcome']);
    certificates = await CertificateSource.open(certificateFiles(config, options.serviceAccount), {
      logger,
      onReload: (outcome) => reloads.inc({ outcome }),
    });
    const own = certificates.current.identity;
    if (own.serviceAccount !== options.serviceAccount) {
      logger.warn({ spiffeId: own.spiffeId, expected: options.serviceAccount }, 'mesh: our certificate names a different service account');
    }
    expiry = monitorCertificateExpiry({ source: certificates, warningMs: config.certExpiryWarningMs, logger, registry: metrics.registry, readiness: options.readiness });
  }
  logger.info({ mode, identity: certificates?.current.identity.spiffeId }, 'mesh: service identity ready');

  return {
    mode,
    allow,
    certificates,
    serverOptions: (clientCertificate) => (certificates ? meshServerTlsOptions(certificates.current, clientCertificate) : null),
    install(app) {
      installCallerIdentity(app, mode);
      if (certificates) {
        const server = app.server as unknown as Partial<TlsServer>;
        if (typeof server.setSecureContext !== 'function') {
          // Fails closed (no caller ever has an identity here), but is surely a wiring mistake.
          logger.warn('mesh: MESH=native but this listener is plain HTTP (create it with https: mesh.serverOptions(...)); its callers have no identity');
          return;
        }
        const unsubscribe = reloadServerCertificates(server as TlsServer, certificates);
        app.addHook('onClose', async () => unsubscribe());
        (server as TlsServer).on('tlsClientError', (error: Error & { code?: string }, socket) => {
          // Node verifies the client certificate after OpenSSL's handshake and then just destroys the
          // socket; the verification result (UNABLE_TO_VERIFY_LEAF_SIGNATURE, CERT_HAS_EXPIRED, …) is
          // on the socket, while the error is the reset that follows.
          const verification: unknown = socket.authorizationError;
          const reason = typeof verification === 'string' ? verification : (error.code ?? 'unknown');
          handshakeFailures?.inc({ reason });
          logger.info({ reason, remote: socket.remoteAddress }, 'mesh: TLS handshake refused');
        });
      }
    },
    requireIdentity: guard,
    workloads: (...serviceAccounts) =>
      IdentityAllowlist.of(serviceAccounts.map((sa) => ownDomainIdentity(config, sa))),
    createClient: (clientOptions) => (certificates ? createMeshAgent(certificates, clientOptions) : undefined),
    close() {
      expiry?.close();
      certificates?.close();
    },
  };
}

function ownDomainIdentity(config: MeshConfig, serviceAccount: string): ServiceIdentity {
  const identity = serviceIdentity(config.trustDomain, config.namespace, serviceAccount);
  if (identity === undefined) throw new Error(`mesh: ${JSON.stringify(serviceAccount)} is not a service account name`);
  return identity;
}
