import { Redis } from 'ioredis';
import { checkCertificates, existingFiles, type CertificateCheckLine } from '../mesh/index.js';
import type { MeshConfig } from '../platform/index.js';
import { configuredFiles } from './certs.js';

/**
 * The parts `authctl status` checks itself, beside asking the services: no readiness report names
 * them reliably. token-service notices Redis only when a failed authentication needs its limiter,
 * and a dead service reports nothing, the expiry of its own certificate included.
 */
export interface PartStatus {
  status: 'up' | 'degraded' | 'down' | 'not_configured';
  /** What was checked: Redis's host and port (never its credentials), or the certificate directory. */
  target: string;
  detail?: string;
  /** Certificates: one line per file. */
  certificates?: CertificateCheckLine[];
}

const REDIS_TIMEOUT_MS = 2_000;

/** PING at REDIS_URL, one attempt, bounded; the services' buckets and events live there. */
export async function redisStatus(redisUrl: string | undefined): Promise<PartStatus> {
  if (redisUrl === undefined) return { status: 'not_configured', target: 'REDIS_URL unset', detail: 'rate limits and events are in-process' };
  const url = new URL(redisUrl);
  const target = `${url.hostname}:${url.port || '6379'}`;
  const redis = new Redis(redisUrl, {
    lazyConnect: true, connectTimeout: REDIS_TIMEOUT_MS, commandTimeout: REDIS_TIMEOUT_MS,
    maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null,
  });
  // The socket's error (ECONNREFUSED) comes as an event; the rejected call says only "Connection is closed".
  let socketError: unknown;
  redis.on('error', (error: unknown) => {
    socketError = error;
  });
  try {
    await redis.connect();
    await redis.ping();
    return { status: 'up', target };
  } catch (rejection) {
    const error = socketError ?? rejection;
    const code = (error as { code?: unknown }).code;
    return { status: 'down', target, detail: `unreachable (${typeof code === 'string' ? code : error instanceof Error ? error.message : String(error)})` };
  } finally {
    redis.disconnect();
  }
}

/**
 * Under MESH=native, every service's certificate file and the CA bundle: down when one has
 * expired or cannot be read, degraded inside MESH_CERT_EXPIRY_WARNING, as the services' own
 * `mesh_certificate` readiness says of the one each serves.
 */
export async function certificateFilesStatus(mesh: MeshConfig): Promise<PartStatus> {
  if (mesh.mode !== 'native') return { status: 'not_configured', target: `MESH=${mesh.mode}` };
  const files = await existingFiles(configuredFiles(mesh));
  const target = mesh.certDir;
  if (files.length === 0) return { status: 'down', target, detail: 'no certificate files found' };
  const { lines } = await checkCertificates({ files, endpoints: [], withinMs: mesh.certExpiryWarningMs, clientTls: {} });
  const now = Date.now();
  // Unreadable (no not-after) or expired: down; any other problem is the warning window.
  const down = lines.some((line) => line.notAfter === undefined || new Date(line.notAfter).getTime() <= now);
  const status = down ? 'down' : lines.some((line) => line.problem !== undefined) ? 'degraded' : 'up';
  return { status, target, certificates: lines };
}
