import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTVerifyGetKey } from 'jose';
import type { AssertionJtiRepository, ClientRecord } from '../../store/index.js';
import { ASYMMETRIC_ALGORITHMS } from '../../tokens/index.js';
import { InvalidClient } from '../errors.js';

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/**
 * `private_key_jwt` (RFC 7523 §3, OpenID Connect Core §9): the client signs a short-lived JWT
 * with its own key. `iss` and `sub` are the client, `aud` is us, and each `jti` is accepted once.
 */
export class PrivateKeyJwtVerifier {
  /** Key sets by client, rebuilt when the client record changes. */
  private readonly keySets = new Map<string, { updatedAt: number; getKey: JWTVerifyGetKey }>();

  constructor(
    private readonly audiences: string[],
    private readonly maxAgeMs: number,
    private readonly jtis: AssertionJtiRepository,
    private readonly now: () => number,
  ) {}

  async verify(assertion: string, client: ClientRecord): Promise<void> {
    if (client.jwks === null) throw new InvalidClient('client has no registered keys');
    let payload;
    try {
      ({ payload } = await jwtVerify(assertion, this.keySet(client), {
        issuer: client.clientId,
        subject: client.clientId,
        audience: this.audiences,
        algorithms: [...ASYMMETRIC_ALGORITHMS],
        maxTokenAge: Math.floor(this.maxAgeMs / 1000),
        requiredClaims: ['exp', 'jti', 'iat'],
        clockTolerance: 30,
        currentDate: new Date(this.now()),
      }));
    } catch (error) {
      throw new InvalidClient(`client assertion rejected: ${describe(error)}`);
    }
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) {
      throw new InvalidClient('client assertion jti is invalid');
    }
    const fresh = await this.jtis.remember(client.clientId, payload.jti, new Date((payload.exp! + 30) * 1000));
    if (!fresh) throw new InvalidClient('client assertion was already used');
  }

  private keySet(client: ClientRecord): JWTVerifyGetKey {
    const cached = this.keySets.get(client.clientId);
    if (cached !== undefined && cached.updatedAt === client.updatedAt.getTime()) return cached.getKey;
    const getKey = createLocalJWKSet(client.jwks as Parameters<typeof createLocalJWKSet>[0]);
    this.keySets.set(client.clientId, { updatedAt: client.updatedAt.getTime(), getKey });
    return getKey;
  }
}

function describe(error: unknown): string {
  if (error instanceof joseErrors.JOSEError) return error.code;
  return 'invalid assertion';
}
