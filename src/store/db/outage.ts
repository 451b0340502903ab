import { connectionLost, credentialsRejected } from './postgres-errors.js';

/**
 * The database cannot be used right now: it could not be reached, dropped the session, refused
 * new connections, or refused our credentials. Nothing is wrong with the request that met it, and
 * asking again later may work, so services answer 503 with Retry-After, never 500.
 */
export class DatabaseUnavailableError extends Error {
  constructor(cause: unknown) {
    super(describeOutage(cause), { cause });
    this.name = 'DatabaseUnavailableError';
  }
}

/** Socket errors from connecting to or talking with the server. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that are the server's state, not the statement's: 57P03 cannot_connect_now (starting
 * up, shutting down, in recovery), 53300 too_many_connections. 57P01/57P02 (terminated) come with
 * `connectionLost`, class 08 (connection exception) below.
 */
const SERVER_UNAVAILABLE = new Set(['57P03', '53300']);

/** pg-pool's own messages: every client busy past the connection timeout, or a pool already ended (shutting down). */
const POOL = /^(timeout exceeded when trying to connect|Cannot use a pool after calling end on the pool)/;

/** Whether `error` is an outage of the database rather than a fault of what was asked (constraint, syntax, …). */
export function isDatabaseOutage(error: unknown): boolean {
  if (error instanceof DatabaseUnavailableError) return true;
  if (connectionLost(error) || credentialsRejected(error)) return true;
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (UNREACHABLE.has(code) || SERVER_UNAVAILABLE.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  return code === undefined && typeof message === 'string' && POOL.test(message);
}

/** One line for logs and readiness: the code and pg's message (which names hosts and users, never passwords). */
export function describeOutage(error: unknown): string {
  // Node's AggregateError (every address of a host refused) has no message of its own.
  if (error instanceof AggregateError && error.message === '') return error.errors.map(describeOutage).join('; ');
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? message.slice(0, 200) : 'unknown error';
  return typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
}
