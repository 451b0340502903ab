import type { PlatformConfig } from './config/index.js';

/**
 * Start-up failures name the environment variable behind them, so the one line an operator sees
 * says what to change: `DATABASE_URL=postgres://db:5432/auth: cannot open the database: connect
 * ECONNREFUSED 10.0.0.5:5432`, not the bare `connect ECONNREFUSED`. The value is shown unless
 * it is a secret; a URL is shown without its userinfo and query (a password can sit in either).
 */
export function namingVariable(variable: string, value: string | undefined, problem: string): string {
  return `${variable}${value === undefined ? '' : `=${value}`}: ${problem}`;
}

/** A start-up step failed because of what `variable` says; `main` prints the message as its one line. */
export class StartupError extends Error {
  constructor(readonly variable: string, value: string | undefined, problem: string, options?: { cause?: unknown }) {
    super(namingVariable(variable, value, problem), options);
    this.name = 'StartupError';
  }
}

/** A URL fit to print: no userinfo, no query, no fragment. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/** An error's own words; Node's AggregateError (every address of a host refused) has none of its own. */
function detail(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== '') return error.message;
  if (error instanceof AggregateError) return error.errors.map(detail).join('; ');
  return (error as NodeJS.ErrnoException).code ?? error.name;
}

/** A filesystem failure under AUTH_DATA_DIR (not a directory, not writable, disk full); other errors pass through. */
export function dataDirFailure(dataDir: string, error: unknown): unknown {
  if (typeof (error as NodeJS.ErrnoException)?.syscall !== 'string') return error;
  return new StartupError('AUTH_DATA_DIR', dataDir, `cannot keep the embedded state there: ${detail(error)}`, { cause: error });
}

/** The database would not open: the PostgreSQL of DATABASE_URL, or else the embedded one in AUTH_DATA_DIR. */
export function databaseFailure(platform: Pick<PlatformConfig, 'databaseUrl' | 'dataDir'>, error: unknown): unknown {
  if (platform.databaseUrl === undefined) return dataDirFailure(platform.dataDir, error);
  return new StartupError('DATABASE_URL', printableUrl(platform.databaseUrl), `cannot open the database: ${detail(error)}`, { cause: error });
}

interface ListenAddress {
  hostVariable: string;
  host: string;
  portVariable: string;
  port: number;
}

/**
 * A listen that failed, blamed on the variable that chose the address: the port when another
 * process holds it or it needs privileges, the host when no interface has that address. Other
 * errors pass through unchanged. `addresses` are the listeners the step opens, matched by port.
 */
export function listenFailure(error: unknown, addresses: readonly ListenAddress[]): unknown {
  const failure = error as NodeJS.ErrnoException & { port?: number };
  if (failure?.syscall !== 'listen' && failure?.syscall !== 'getaddrinfo') return error;
  const address = addresses.find((a) => a.port === failure.port) ?? addresses[0];
  if (address === undefined) return error;
  const where = `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
  if (failure.syscall === 'getaddrinfo') {
    return new StartupError(address.hostVariable, address.host, `cannot listen on ${where}: the host name does not resolve (${failure.code})`, { cause: error });
  }
  switch (failure.code) {
    case 'EADDRINUSE':
      return new StartupError(address.portVariable, String(address.port), `cannot listen on ${where}: another process is using the port (EADDRINUSE)`, { cause: error });
    case 'EACCES':
      return new StartupError(address.portVariable, String(address.port), `cannot listen on ${where}: ports below 1024 need privileges (EACCES)`, { cause: error });
    case 'EADDRNOTAVAIL':
      return new StartupError(address.hostVariable, address.host, `cannot listen on ${where}: no interface of this machine has that address (EADDRNOTAVAIL)`, { cause: error });
    default:
      return new StartupError(address.portVariable, String(address.port), `cannot listen on ${where}: ${failure.message}`, { cause: error });
  }
}
