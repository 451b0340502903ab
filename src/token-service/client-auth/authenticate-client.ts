import type { FastifyRequest } from 'fastify';
import type { AuditLogRepository, ClientRecord, ClientRepository } from '../../store/index.js';
import { InvalidClient, InvalidRequest, UnauthorizedClient } from '../errors.js';
import { param, type FormParams } from '../form-body.js';
import type { ClientSecretHasher } from './client-secret.js';
import type { FailedAuthLimiter } from './failed-auth-limiter.js';
import { CLIENT_ASSERTION_TYPE, type PrivateKeyJwtVerifier } from './private-key-jwt.js';

type Presented =
  | { method: 'client_secret_basic' | 'client_secret_post'; clientId: string; secret: string }
  | { method: 'private_key_jwt'; clientId: string; assertion: string };

const CLIENT_ID = /^[\x20-\x7E]{1,128}$/;

/** RFC 6749 §2.3.1: the Basic credentials are form-urlencoded before base64. */
function parseBasic(header: string): { clientId: string; secret: string } {
  const encoded = header.slice(6).trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) throw new InvalidClient('malformed Basic credentials', true);
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClient('malformed Basic credentials', true);
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' ')),
      secret: decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' ')),
    };
  } catch {
    throw new InvalidClient('malformed Basic credentials', true);
  }
}

function presentedCredentials(request: FastifyRequest, body: FormParams | undefined): Presented {
  const authorization = request.headers.authorization;
  const bodyId = param(body, 'client_id');
  const bodySecret = param(body, 'client_secret');
  const assertionType = param(body, 'client_assertion_type');
  const assertion = param(body, 'client_assertion');
  // A bare `Basic` with nothing after it is still an attempt at Basic (401 with a challenge).
  const basic = authorization !== undefined && /^basic(\s|$)/i.test(authorization);
  const methods = [basic, bodySecret !== undefined, assertion !== undefined].filter(Boolean).length;
  if (methods > 1) throw new InvalidRequest('more than one client authentication method was used');

  let presented: Presented;
  if (basic) {
    presented = { method: 'client_secret_basic', ...parseBasic(authorization!) };
    if (bodyId !== undefined && bodyId !== presented.clientId) throw new InvalidRequest('client_id does not match the credentials');
  } else if (bodySecret !== undefined) {
    if (bodyId === undefined) throw new InvalidRequest('client_id is required with client_secret');
    presented = { method: 'client_secret_post', clientId: bodyId, secret: bodySecret };
  } else if (assertion !== undefined) {
    if (assertionType !== CLIENT_ASSERTION_TYPE) throw new InvalidRequest(`client_assertion_type must be ${CLIENT_ASSERTION_TYPE}`);
    const clientId = bodyId ?? assertionIssuer(assertion);
    presented = { method: 'private_key_jwt', clientId, assertion };
  } else {
    throw new InvalidClient('client authentication is required');
  }
  if (!CLIENT_ID.test(presented.clientId)) throw new InvalidClient('malformed client_id', presented.method === 'client_secret_basic');
  return presented;
}

/** The `iss` of an unverified assertion, only to find which client's keys to verify it with. */
function assertionIssuer(assertion: string): string {
  const payload = assertion.split('.')[1];
  try {
    const iss = (JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;
    if (typeof iss === 'string') return iss;
  } catch {
    // fall through
  }
  throw new InvalidClient('client assertion is malformed');
}

export interface ClientAuthenticatorDeps {
  /** The client cache in the service; anything with the repository's `get`. */
  clients: Pick<ClientRepository, 'get'>;
  hasher: ClientSecretHasher;
  privateKeyJwt: PrivateKeyJwtVerifier;
  limiter: FailedAuthLimiter;
  audit: AuditLogRepository;
}

/**
 * Authenticates the client of a token, introspection or revocation request by the one method
 * it registered. Failures all look alike to the caller (`invalid_client`), are audited, and are
 * throttled per client and address and per address (429 once a bucket is empty). The credential
 * is checked before any bucket, so a correct one is never refused for others' failures.
 */
export class ClientAuthenticator {
  constructor(private readonly deps: ClientAuthenticatorDeps) {}

  async authenticate(request: FastifyRequest, body: FormParams | undefined): Promise<ClientRecord> {
    const presented = presentedCredentials(request, body);
    const client = await this.deps.clients.get(presented.clientId);
    try {
      await this.check(presented, client);
    } catch (error) {
      // Throws RateLimited past the budget: those attempts are not audited, so a flood of them
      // costs one bucket check each, not an audit row.
      await this.deps.limiter.recordClientFailure(request.ip, presented.clientId);
      await this.deps.audit.append({
        event: 'client_auth_failed',
        outcome: 'failure',
        clientId: presented.clientId,
        ip: request.ip,
        details: { method: presented.method, reason: error instanceof Error ? error.message : 'unknown' },
      });
      throw error;
    }
    if (client!.disabled) throw new UnauthorizedClient('client is disabled');
    return client!;
  }

  private async check(presented: Presented, client: ClientRecord | undefined): Promise<void> {
    const basic = presented.method === 'client_secret_basic';
    if (presented.method === 'private_key_jwt') {
      if (client === undefined || client.authMethod !== 'private_key_jwt') throw new InvalidClient();
      await this.deps.privateKeyJwt.verify(presented.assertion, client);
      return;
    }
    // The hash is computed even for unknown clients so timing does not tell which exist.
    const matches = this.deps.hasher.verify(presented.secret, client?.secretHash ?? null);
    if (client === undefined || !matches || client.authMethod !== presented.method) throw new InvalidClient(undefined, basic);
  }
}
