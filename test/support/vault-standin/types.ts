import type { IncomingMessage } from 'node:http';

/** One parsed request, as the route handlers see it. */
export interface Ctx {
  method: string;
  /** Path under /v1/, without leading slash. */
  path: string;
  query: URLSearchParams;
  body: Record<string, unknown>;
  token: string | undefined;
  req: IncomingMessage;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Route {
  methods: readonly string[];
  pattern: RegExp;
  /** Answers even while sealed (sys/health, sys/seal-status, sys/unseal). */
  whileSealed?: boolean;
  handle(ctx: Ctx, match: RegExpExecArray): Reply | Promise<Reply>;
}

/** Vault's error body: `{"errors":[...]}` with the HTTP status carrying the verdict. */
export function errors(status: number, ...messages: string[]): Reply {
  return { status, body: { errors: messages } };
}

/** Vault's response envelope for secrets and auth (api-docs/index#http-api response format). */
export function envelope(fields: { data?: unknown; auth?: unknown; lease_id?: string; lease_duration?: number; renewable?: boolean; warnings?: string[] | null }): Reply {
  return {
    status: 200,
    body: {
      request_id: crypto.randomUUID(),
      lease_id: fields.lease_id ?? '',
      renewable: fields.renewable ?? false,
      lease_duration: fields.lease_duration ?? 0,
      data: fields.data ?? null,
      wrap_info: null,
      warnings: fields.warnings ?? null,
      auth: fields.auth ?? null,
    },
  };
}
