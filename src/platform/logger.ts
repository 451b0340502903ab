import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config/index.js';
import { stdoutDestination } from './log-destination.js';

export type { Logger } from 'pino';

/**
 * Field names whose values are credentials. Pino's redaction matches them at the top level
 * and one level down; anything deeper is never logged by our code in the first place.
 */
const SECRET_FIELDS = [
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'dpop',
  'access_token', 'refresh_token', 'id_token', 'token', 'subject_token', 'actor_token',
  'client_secret', 'client_assertion', 'secret', 'password', 'adminToken', 'admin_token',
  'private_key', 'privateKey', 'privateJwk', 'key', 'masterKey', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k',
  'x-admin-token', 'x-vault-token', 'vault_token', 'client_token', 'secret_id', 'jwt',
];
const REDACT_PATHS = [
  ...SECRET_FIELDS.map((f) => `["${f}"]`),
  ...SECRET_FIELDS.map((f) => `*["${f}"]`),
  ...SECRET_FIELDS.map((f) => `req.headers["${f}"]`),
];

/** Compact JWS/JWE serialisations, wherever a string slips into a message. */
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;

export function scrubTokens(text: string): string {
  return text.replace(JWT_PATTERN, '[REDACTED_JWT]');
}

interface RequestLike {
  id?: string;
  method?: string;
  url?: string;
  ip?: string;
}

export function createLogger(options: {
  level: LogLevel;
  name: string;
  /** Where lines go; by default stdout, which a lost reader never turns into a hang (see log-destination.ts). */
  destination?: DestinationStream;
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name,
      base: { service: options.name },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        // Only the path: query strings can carry tokens (`?access_token=`), so they are never logged.
        req: (req: RequestLike) => ({
          id: req.id,
          method: req.method,
          path: req.url?.split('?')[0],
          remote: req.ip,
        }),
        res: (res: { statusCode?: number }) => ({ status: res.statusCode }),
        err: (err: Error & { code?: string; statusCode?: number }) => ({
          type: err.name,
          code: err.code,
          status: err.statusCode,
          message: scrubTokens(err.message),
          stack: err.stack === undefined ? undefined : scrubTokens(err.stack),
        }),
      },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubTokens(a) : a));
          // Without a message of its own, pino uses the error's message as the line's `msg`.
          const first = scrubbed[0] as { err?: unknown } | undefined;
          const error = first instanceof Error ? first : first?.err instanceof Error ? first.err : undefined;
          if (scrubbed.length === 1 && error !== undefined) scrubbed.push(scrubTokens(error.message));
          method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    options.destination ?? stdoutDestination(),
  );
}
