/** JSON schemas shared by routes: they validate, serialise and become the OpenAPI document. */

export const oauthErrorSchema = {
  type: 'object',
  description: 'RFC 6749 §5.2 error',
  properties: { error: { type: 'string' }, error_description: { type: 'string' } },
  required: ['error'],
} as const;

export const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the stable identifier',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    code: { type: 'string' },
    detail: { type: 'string' },
    instance: { type: 'string' },
  },
  required: ['type', 'title', 'status', 'code'],
} as const;

export const tokenResponseSchema = {
  type: 'object',
  properties: {
    access_token: { type: 'string' },
    token_type: { type: 'string', enum: ['Bearer'] },
    expires_in: { type: 'integer' },
    scope: { type: 'string' },
    refresh_token: { type: 'string' },
  },
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
} as const;

/** Form bodies are parsed by our own strict parser; this schema documents them. */
export function formBody(properties: Record<string, string>, required: string[] = []) {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(properties).map(([k, description]) => [k, { type: 'string', description }])),
    required,
  };
}

export const clientAuthParams = {
  client_id: 'client identifier (client_secret_post, private_key_jwt)',
  client_secret: 'client secret (client_secret_post)',
  client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer (private_key_jwt)',
  client_assertion: 'signed JWT (private_key_jwt, RFC 7523)',
};

export const oauthErrors = { 400: oauthErrorSchema, 401: oauthErrorSchema, 413: oauthErrorSchema, 415: oauthErrorSchema, 429: oauthErrorSchema, 503: oauthErrorSchema };
export const problems = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 413: problemSchema, 415: problemSchema, 503: problemSchema };
