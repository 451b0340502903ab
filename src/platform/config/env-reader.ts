import { z } from 'zod';
import { parseDuration } from './duration.js';

/** Thrown at start when one or more environment variables are invalid; names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: ReadonlyArray<{ variable: string; message: string }>) {
    super(
      'Invalid configuration:\n' + problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads typed values from the environment and collects every problem, so an operator
 * sees all bad variables in one start attempt rather than one per restart.
 */
export class EnvReader {
  private readonly problems: Array<{ variable: string; message: string }> = [];

  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value === '' ? undefined : value;
  }

  string(name: string, fallback: string): string;
  string(name: string): string | undefined;
  string(name: string, fallback?: string): string | undefined {
    return this.raw(name) ?? fallback;
  }

  /** A secret-bearing variable: its value is never echoed in an error message. */
  secret(name: string, minLength: number): string | undefined {
    const value = this.raw(name);
    if (value !== undefined && value.length < minLength) {
      this.fail(name, `must be at least ${minLength} characters long`);
      return undefined;
    }
    return value;
  }

  parsed<T>(name: string, schema: z.ZodType<T>, fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    this.fail(name, `${result.error.issues[0]?.message ?? 'invalid value'} (got ${JSON.stringify(value)})`);
    return fallback;
  }

  int(name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
    let schema = z.coerce.number().int('must be a whole number');
    if (range.min !== undefined) schema = schema.min(range.min, `must be at least ${range.min}`);
    if (range.max !== undefined) schema = schema.max(range.max, `must be at most ${range.max}`);
    return this.parsed(name, schema, fallback);
  }

  oneOf<const T extends readonly [string, ...string[]]>(name: string, values: T, fallback: T[number]): T[number] {
    return this.parsed(name, z.enum(values, { message: `must be one of ${values.join(', ')}` }), fallback);
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (/^(1|true|yes|on)$/i.test(value)) return true;
    if (/^(0|false|no|off)$/i.test(value)) return false;
    this.fail(name, `must be true or false (got ${JSON.stringify(value)})`);
    return fallback;
  }

  /** A duration such as `500ms`, `30s`, `5m`, `12h` or `30d`; returns milliseconds. */
  duration(name: string, fallback: string, range: { minMs?: number; maxMs?: number } = {}): number {
    const value = this.raw(name) ?? fallback;
    const ms = parseDuration(value);
    if (ms === undefined) {
      this.fail(name, `must be a duration such as 30s, 5m, 12h or 30d (got ${JSON.stringify(value)})`);
      return parseDuration(fallback) ?? 0;
    }
    if (range.minMs !== undefined && ms < range.minMs) {
      this.fail(name, `must be at least ${range.minMs}ms`);
    }
    if (range.maxMs !== undefined && ms > range.maxMs) {
      this.fail(name, `must be at most ${range.maxMs}ms`);
    }
    return ms;
  }

  url(name: string, fallback?: string): string | undefined {
    const value = this.raw(name) ?? fallback;
    if (value === undefined) return undefined;
    try {
      return new URL(value).toString().replace(/\/$/, '');
    } catch {
      // The value may carry credentials (a database URL), so it is not echoed.
      this.fail(name, 'must be an absolute URL');
      return undefined;
    }
  }

  fail(name: string, message: string): void {
    this.problems.push({ variable: name, message });
  }

  /** Throws a ConfigError naming every bad variable seen so far. */
  finish(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}
