import type { FastifyBaseLogger } from 'fastify';
import type { Logger } from './logger.js';

type LogMethod = (...args: unknown[]) => void;
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The logger Fastify hands each request (`request.log`), built only when the request logs.
 *
 * Fastify gives every request a pino child carrying its id. Building a child runs its bindings
 * through the redaction, whose wildcard paths (`*["authorization"]`, ...) apply to every top-level
 * key: about 5% of the CPU of a request that logs nothing, which is nearly every request on the
 * token endpoint and the edge. This stand-in answers level questions from its parent and creates
 * the real child on the first call at an enabled level, so what is written is exactly what the
 * child would have written.
 */
export class RequestLogger {
  private built: Logger | undefined;

  constructor(
    private readonly parent: Logger,
    private readonly childBindings: Record<string, unknown>,
    private readonly options: { level?: string },
  ) {}

  get level(): string {
    return this.options.level ?? this.parent.level;
  }

  isLevelEnabled(level: string): boolean {
    const values = this.parent.levels.values;
    const wanted = values[level];
    const threshold = values[this.level];
    return wanted !== undefined && threshold !== undefined && wanted >= threshold;
  }

  child(bindings: Record<string, unknown>, options?: Record<string, unknown>): Logger {
    return this.real().child(bindings, options);
  }

  bindings(): Record<string, unknown> {
    return this.real().bindings();
  }

  fatal(...args: unknown[]): void {
    this.write('fatal', args);
  }

  error(...args: unknown[]): void {
    this.write('error', args);
  }

  warn(...args: unknown[]): void {
    this.write('warn', args);
  }

  info(...args: unknown[]): void {
    this.write('info', args);
  }

  debug(...args: unknown[]): void {
    this.write('debug', args);
  }

  trace(...args: unknown[]): void {
    this.write('trace', args);
  }

  silent(): void {}

  private write(level: Level, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    const child = this.real();
    (child[level] as LogMethod).apply(child, args);
  }

  private real(): Logger {
    this.built ??= this.parent.child(this.childBindings, this.options);
    return this.built;
  }
}

/** Fastify's `childLoggerFactory`: a lazily built child per request. */
export function requestLoggerFactory(logger: FastifyBaseLogger, bindings: Record<string, unknown>, options: { level?: string }): FastifyBaseLogger {
  return new RequestLogger(logger as unknown as Logger, bindings, options) as unknown as FastifyBaseLogger;
}
