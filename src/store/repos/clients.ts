import type { Queryable } from '../db/db.js';

export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

export interface ClientRecord {
  clientId: string;
  name: string;
  authMethod: ClientAuthMethod;
  /** HMAC-SHA-256 of the secret under the server's pepper; null for private_key_jwt clients. */
  secretHash: Buffer | null;
  /** Public keys for private_key_jwt. */
  jwks: { keys: Array<Record<string, unknown>> } | null;
  grantTypes: string[];
  scopes: string[];
  audiences: string[];
  /** The audiences it serves as a resource server: introspection tells it about tokens for these. */
  introspectionAudiences: string[];
  accessTokenTtlSeconds: number | null;
  /** The workload identity (SPIFFE ID) the client must call from, if bound. */
  boundIdentity: string | null;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** A new client serves no audience unless told (it introspects only its own tokens). */
export type NewClient = Omit<ClientRecord, 'createdAt' | 'updatedAt' | 'introspectionAudiences'> & { introspectionAudiences?: string[] };
export type ClientPatch = Partial<Omit<ClientRecord, 'clientId' | 'createdAt' | 'updatedAt'>>;

const COLUMNS = `client_id AS "clientId", name, token_endpoint_auth_method AS "authMethod",
  secret_hash AS "secretHash", jwks, grant_types AS "grantTypes", scopes, audiences,
  introspection_audiences AS "introspectionAudiences",
  access_token_ttl_seconds AS "accessTokenTtlSeconds", bound_identity AS "boundIdentity",
  disabled, created_at AS "createdAt", updated_at AS "updatedAt"`;

const PATCHABLE: Record<keyof ClientPatch, string> = {
  name: 'name',
  authMethod: 'token_endpoint_auth_method',
  secretHash: 'secret_hash',
  jwks: 'jwks',
  grantTypes: 'grant_types',
  scopes: 'scopes',
  audiences: 'audiences',
  introspectionAudiences: 'introspection_audiences',
  accessTokenTtlSeconds: 'access_token_ttl_seconds',
  boundIdentity: 'bound_identity',
  disabled: 'disabled',
};

function fromRow(row: ClientRecord): ClientRecord {
  return { ...row, secretHash: row.secretHash === null ? null : Buffer.from(row.secretHash) };
}

function toParam(key: keyof ClientPatch, value: unknown): unknown {
  return key === 'jwks' && value !== null ? JSON.stringify(value) : value;
}

export class ClientRepository {
  constructor(private readonly db: Queryable) {}

  async create(client: NewClient): Promise<ClientRecord> {
    const rows = await this.db.query<ClientRecord>(
      `INSERT INTO clients (client_id, name, token_endpoint_auth_method, secret_hash, jwks, grant_types,
         scopes, audiences, access_token_ttl_seconds, bound_identity, disabled, introspection_audiences)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING ${COLUMNS}`,
      [
        client.clientId, client.name, client.authMethod, client.secretHash,
        client.jwks === null ? null : JSON.stringify(client.jwks), client.grantTypes,
        client.scopes, client.audiences, client.accessTokenTtlSeconds, client.boundIdentity, client.disabled,
        client.introspectionAudiences ?? [],
      ],
    );
    return fromRow(rows[0]!);
  }

  async get(clientId: string): Promise<ClientRecord | undefined> {
    const rows = await this.db.query<ClientRecord>(`SELECT ${COLUMNS} FROM clients WHERE client_id = $1`, [clientId]);
    return rows[0] && fromRow(rows[0]);
  }

  async list(): Promise<ClientRecord[]> {
    const rows = await this.db.query<ClientRecord>(`SELECT ${COLUMNS} FROM clients ORDER BY client_id`);
    return rows.map(fromRow);
  }

  async update(clientId: string, patch: ClientPatch, tx: Queryable = this.db): Promise<ClientRecord | undefined> {
    const keys = (Object.keys(patch) as Array<keyof ClientPatch>).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) return this.get(clientId);
    const sets = keys.map((k, i) => `${PATCHABLE[k]} = $${i + 2}`);
    const rows = await tx.query<ClientRecord>(
      `UPDATE clients SET ${sets.join(', ')}, updated_at = now() WHERE client_id = $1 RETURNING ${COLUMNS}`,
      [clientId, ...keys.map((k) => toParam(k, patch[k]))],
    );
    return rows[0] && fromRow(rows[0]);
  }

  async delete(clientId: string, tx: Queryable = this.db): Promise<boolean> {
    const rows = await tx.query('DELETE FROM clients WHERE client_id = $1 RETURNING client_id', [clientId]);
    return rows.length > 0;
  }
}
