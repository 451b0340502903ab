import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { IDENTITY_FORMS, parseServiceIdentity } from '../../../mesh/index.js';
import { HttpProblem } from '../../../platform/index.js';
import { CLIENT_AUTH_METHODS, type ClientRecord } from '../../../store/index.js';
import { ASYMMETRIC_ALGORITHMS, SCOPE_TOKEN } from '../../../tokens/index.js';
import { generateSecret } from '../../bootstrap-secrets.js';
import { revokeClientTokens, type ClientRevocationOutcome, type ClientRevocationReason } from '../../client-revocation.js';
import type { TokenServiceContext } from '../../context.js';
import { MAX_CLIENT_ACCESS_TOKEN_TTL_SECONDS } from '../../token-minter.js';
import { problems } from '../schemas.js';

const GRANT_TYPES = ['client_credentials', 'refresh_token'];
/** JWK members that only a private key has; a registered key set must be public. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

const clientProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  token_endpoint_auth_method: { type: 'string', enum: [...CLIENT_AUTH_METHODS] },
  grant_types: { type: 'array', items: { type: 'string', enum: GRANT_TYPES }, minItems: 1, uniqueItems: true },
  scopes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128, pattern: SCOPE_TOKEN.source }, maxItems: 256, uniqueItems: true },
  audiences: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 512 }, minItems: 1, maxItems: 64, uniqueItems: true },
  introspection_audiences: {
    type: 'array', items: { type: 'string', minLength: 1, maxLength: 512 }, maxItems: 64, uniqueItems: true,
    description: 'audiences this client serves as a resource server: introspection answers it about tokens for them, besides its own',
  },
  jwks: {
    type: 'object',
    required: ['keys'],
    properties: { keys: { type: 'array', minItems: 1, maxItems: 10, items: { type: 'object', required: ['kty'], additionalProperties: true } } },
  },
  access_token_ttl_seconds: { type: 'integer', minimum: 30, maximum: MAX_CLIENT_ACCESS_TOKEN_TTL_SECONDS },
  bound_identity: { type: ['string', 'null'], minLength: 1, maxLength: 512 },
  disabled: { type: 'boolean' },
} as const;

/** What revoking a client's tokens did (disable, delete, `POST /admin/clients/{id}/revoke`). */
const revokedView = {
  type: 'object',
  required: ['cutoff', 'familiesRevoked'],
  properties: {
    cutoff: { type: 'integer', description: 'epoch seconds: the client\'s access tokens issued at or before it are revoked' },
    familiesRevoked: { type: 'integer', description: 'live refresh families of the client now revoked' },
  },
} as const;

/** What deleting or revoking a client answers: which client, and what was revoked. */
const clientRevokedResponse = { type: 'object', properties: { client_id: { type: 'string' }, revoked: revokedView } } as const;

const clientView = {
  type: 'object',
  properties: {
    client_id: { type: 'string' }, name: { type: 'string' }, token_endpoint_auth_method: { type: 'string' },
    grant_types: { type: 'array', items: { type: 'string' } }, scopes: { type: 'array', items: { type: 'string' } },
    audiences: { type: 'array', items: { type: 'string' } }, introspection_audiences: { type: 'array', items: { type: 'string' } },
    jwks: { type: ['object', 'null'], additionalProperties: true },
    access_token_ttl_seconds: { type: ['integer', 'null'] }, bound_identity: { type: ['string', 'null'] },
    disabled: { type: 'boolean' }, created_at: { type: 'string' }, updated_at: { type: 'string' },
    client_secret: { type: 'string', description: 'shown once, at creation and on secret rotation' },
    revoked: { ...revokedView, description: 'when the request disabled the client: what it revoked' },
  },
} as const;

interface ClientBody {
  client_id?: string;
  name?: string;
  token_endpoint_auth_method?: ClientRecord['authMethod'];
  grant_types?: string[];
  scopes?: string[];
  audiences?: string[];
  introspection_audiences?: string[];
  jwks?: { keys: Array<Record<string, unknown>> };
  access_token_ttl_seconds?: number;
  bound_identity?: string | null;
  disabled?: boolean;
}

function view(client: ClientRecord, secret?: string) {
  return {
    client_id: client.clientId, name: client.name, token_endpoint_auth_method: client.authMethod,
    grant_types: client.grantTypes, scopes: client.scopes, audiences: client.audiences,
    introspection_audiences: client.introspectionAudiences, jwks: client.jwks,
    access_token_ttl_seconds: client.accessTokenTtlSeconds, bound_identity: client.boundIdentity,
    disabled: client.disabled, created_at: client.createdAt.toISOString(), updated_at: client.updatedAt.toISOString(),
    ...(secret === undefined ? {} : { client_secret: secret }),
  };
}

function assertPublicJwks(jwks: ClientBody['jwks']): void {
  for (const key of jwks?.keys ?? []) {
    if (PRIVATE_MEMBERS.some((m) => m in key)) throw new HttpProblem(400, 'invalid_jwks', 'Invalid key set', 'jwks must hold public keys only');
    if (key.kty === 'oct') throw new HttpProblem(400, 'invalid_jwks', 'Invalid key set', 'symmetric keys are not accepted');
    if (key.alg !== undefined && !(ASYMMETRIC_ALGORITHMS as readonly unknown[]).includes(key.alg)) {
      throw new HttpProblem(400, 'invalid_jwks', 'Invalid key set', `alg ${String(key.alg).slice(0, 16)} is not accepted`);
    }
  }
}

function assertConsistent(method: ClientRecord['authMethod'], jwks: ClientBody['jwks'] | null): void {
  if (method === 'private_key_jwt' && (jwks === undefined || jwks === null)) {
    throw new HttpProblem(400, 'invalid_client_metadata', 'Invalid client', 'private_key_jwt clients need jwks');
  }
}

/**
 * A binding must name a workload, in either identity form; it is stored in the SPIFFE form that
 * tokens carry as `cnf.spiffe_id`. Anything else would bind the client to no caller at all.
 */
function boundIdentity(value: string | null | undefined): string | null | undefined {
  if (value === undefined || value === null) return value;
  const identity = parseServiceIdentity(value);
  if (identity === undefined) throw new HttpProblem(400, 'invalid_client_metadata', 'Invalid client', `bound_identity must be ${IDENTITY_FORMS}`);
  return identity.spiffeId;
}

async function notFound(): Promise<never> {
  throw new HttpProblem(404, 'client_not_found', 'Client not found');
}

/** Clients CRUD. A secret is generated by the server and shown exactly once. */
export async function adminClientRoutes(app: FastifyInstance, ctx: TokenServiceContext): Promise<void> {
  const audit = (request: { ip: string }, event: string, clientId: string, details: Record<string, unknown> = {}) =>
    ctx.store.audit.append({ event, outcome: 'success', actor: 'admin', clientId, ip: request.ip, details });
  const auditRevoked = (request: { ip: string }, clientId: string, by: ClientRevocationReason, outcome: ClientRevocationOutcome) =>
    audit(request, 'client_tokens_revoked', clientId, { by, ...outcome });
  const params = { type: 'object', required: ['clientId'], properties: { clientId: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

  app.post('/admin/clients', {
    schema: {
      summary: 'Register a client; the response carries its secret, shown only this once',
      tags: ['admin'], security: [{ admin: [] }],
      body: {
        type: 'object', additionalProperties: false, required: ['name', 'scopes', 'audiences'],
        properties: { client_id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{3,128}$' }, ...clientProperties },
      },
      response: { 201: clientView, ...problems },
    },
  }, async (request, reply) => {
    const body = request.body as ClientBody;
    const authMethod = body.token_endpoint_auth_method ?? 'client_secret_basic';
    assertPublicJwks(body.jwks);
    assertConsistent(authMethod, body.jwks);
    const clientId = body.client_id ?? `client_${randomBytes(12).toString('base64url')}`;
    if ((await ctx.store.clients.get(clientId)) !== undefined) throw new HttpProblem(409, 'client_exists', 'Client already exists');
    const secret = authMethod === 'private_key_jwt' ? undefined : generateSecret();
    const client = await ctx.store.clients.create({
      clientId, name: body.name!, authMethod,
      secretHash: secret === undefined ? null : ctx.hasher.hash(secret),
      jwks: body.jwks ?? null,
      grantTypes: body.grant_types ?? ['client_credentials'],
      scopes: body.scopes!, audiences: body.audiences!, introspectionAudiences: body.introspection_audiences ?? [],
      accessTokenTtlSeconds: body.access_token_ttl_seconds ?? null,
      boundIdentity: boundIdentity(body.bound_identity) ?? null,
      disabled: body.disabled ?? false,
    });
    await audit(request, 'admin.client_created', clientId, { authMethod });
    return reply.code(201).header('cache-control', 'no-store').send(view(client, secret));
  });

  app.get('/admin/clients', {
    schema: { summary: 'List clients', tags: ['admin'], security: [{ admin: [] }], response: { 200: { type: 'object', properties: { clients: { type: 'array', items: clientView } } }, ...problems } },
  }, async () => ({ clients: (await ctx.store.clients.list()).map((c) => view(c)) }));

  app.get('/admin/clients/:clientId', {
    schema: { summary: 'Read a client', tags: ['admin'], security: [{ admin: [] }], params, response: { 200: clientView, ...problems } },
  }, async (request) => {
    const client = await ctx.store.clients.get((request.params as { clientId: string }).clientId);
    return client === undefined ? notFound() : view(client);
  });

  app.patch('/admin/clients/:clientId', {
    schema: {
      summary: 'Update a client', tags: ['admin'], security: [{ admin: [] }], params,
      body: { type: 'object', additionalProperties: false, minProperties: 1, properties: clientProperties },
      response: { 200: clientView, ...problems },
    },
  }, async (request) => {
    const { clientId } = request.params as { clientId: string };
    const body = request.body as ClientBody;
    const existing = await ctx.store.clients.get(clientId);
    if (existing === undefined) return notFound();
    assertPublicJwks(body.jwks);
    const authMethod = body.token_endpoint_auth_method ?? existing.authMethod;
    assertConsistent(authMethod, body.jwks ?? existing.jwks);
    if (authMethod !== 'private_key_jwt' && existing.secretHash === null) {
      throw new HttpProblem(400, 'invalid_client_metadata', 'Invalid client', 'rotate the secret to move this client to a secret method');
    }
    const patch = {
      name: body.name, authMethod, jwks: body.jwks, grantTypes: body.grant_types, scopes: body.scopes,
      audiences: body.audiences, introspectionAudiences: body.introspection_audiences, accessTokenTtlSeconds: body.access_token_ttl_seconds,
      boundIdentity: boundIdentity(body.bound_identity), disabled: body.disabled,
    };
    // Disabling stops new tokens; what the client already holds is revoked with it, atomically.
    if (body.disabled === true) {
      const { outcome, result: updated } = await revokeClientTokens(ctx, clientId, 'client_disabled', (tx) => ctx.store.clients.update(clientId, patch, tx));
      await audit(request, 'admin.client_updated', clientId, { fields: Object.keys(body) });
      await auditRevoked(request, clientId, 'client_disabled', outcome);
      return { ...view(updated!), revoked: outcome };
    }
    const updated = await ctx.store.clients.update(clientId, patch);
    await ctx.clientCache.invalidate(clientId);
    await audit(request, 'admin.client_updated', clientId, { fields: Object.keys(body) });
    return view(updated!);
  });

  app.post('/admin/clients/:clientId/secret', {
    schema: { summary: 'Rotate a client secret; the new one is shown only this once', tags: ['admin'], security: [{ admin: [] }], params, response: { 200: clientView, ...problems } },
  }, async (request, reply) => {
    const { clientId } = request.params as { clientId: string };
    const existing = await ctx.store.clients.get(clientId);
    if (existing === undefined) return notFound();
    if (existing.authMethod === 'private_key_jwt') throw new HttpProblem(400, 'invalid_client_metadata', 'Invalid client', 'private_key_jwt clients have no secret');
    const secret = generateSecret();
    const updated = await ctx.store.clients.update(clientId, { secretHash: ctx.hasher.hash(secret) });
    await ctx.clientCache.invalidate(clientId);
    await audit(request, 'admin.client_secret_rotated', clientId);
    return reply.header('cache-control', 'no-store').send(view(updated!, secret));
  });

  app.delete('/admin/clients/:clientId', {
    schema: {
      summary: 'Delete a client, its refresh families and every access token it was issued',
      description: 'The tokens stay refused if a client is created again under the same client_id.',
      tags: ['admin'], security: [{ admin: [] }], params,
      response: { 200: clientRevokedResponse, ...problems },
    },
  }, async (request) => {
    const { clientId } = request.params as { clientId: string };
    const { outcome } = await revokeClientTokens(ctx, clientId, 'client_deleted', async (tx) => {
      // Throwing rolls the revocation back with it: nothing is recorded for an unknown client.
      if (!(await ctx.store.clients.delete(clientId, tx))) await notFound();
    });
    await audit(request, 'admin.client_deleted', clientId);
    await auditRevoked(request, clientId, 'client_deleted', outcome);
    return { client_id: clientId, revoked: outcome };
  });

  app.post('/admin/clients/:clientId/revoke', {
    schema: {
      summary: 'Revoke every access and refresh token a client holds, without disabling it',
      description: 'Access tokens issued to the client up to now are refused at every edge and in introspection; its refresh families are revoked. New tokens can be issued at once.',
      tags: ['admin'], security: [{ admin: [] }], params,
      response: { 200: clientRevokedResponse, ...problems },
    },
  }, async (request) => {
    const { clientId } = request.params as { clientId: string };
    if ((await ctx.store.clients.get(clientId)) === undefined) return notFound();
    const { outcome } = await revokeClientTokens(ctx, clientId, 'admin_revoked', async () => undefined);
    await auditRevoked(request, clientId, 'admin_revoked', outcome);
    return { client_id: clientId, revoked: outcome };
  });
}
