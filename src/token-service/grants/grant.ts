import type { FastifyRequest } from 'fastify';
import type { ClientRecord } from '../../store/index.js';
import type { FormParams } from '../form-body.js';

/** The RFC 6749 §5.1 success body. */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

export interface GrantContext {
  client: ClientRecord;
  params: FormParams;
  request: FastifyRequest;
}

/** One grant type: the token endpoint dispatches on `grant_type` through a registry of these. */
export interface GrantHandler {
  grantType: string;
  /** Parameters the grant reads, for the metadata document and the OpenAPI description. */
  parameters: readonly string[];
  handle(context: GrantContext): Promise<TokenResponse>;
}
