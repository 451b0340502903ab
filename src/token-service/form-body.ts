import type { FastifyInstance } from 'fastify';
import { InvalidRequest } from './errors.js';

export type FormParams = Record<string, string | string[]>;

/** Parameters RFC 8707 lets appear more than once; every other repeat is an error (RFC 6749 §3.1). */
const REPEATABLE = new Set(['resource', 'audience']);

export function parseForm(body: string): FormParams {
  const params: FormParams = Object.create(null) as FormParams;
  for (const [name, value] of new URLSearchParams(body)) {
    const existing = params[name];
    if (existing === undefined) {
      params[name] = value;
    } else if (REPEATABLE.has(name)) {
      params[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
    } else {
      throw new InvalidRequest(`parameter "${name.slice(0, 64)}" is repeated`);
    }
  }
  return params;
}

/**
 * OAuth endpoints accept only application/x-www-form-urlencoded (RFC 6749 §3.2). Registered
 * inside the OAuth plugin after removing the default parsers, so JSON gets a 415 there.
 */
export function acceptFormBodiesOnly(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit }, (_request, body, done) => {
    try {
      done(null, parseForm(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** A single-valued parameter; undefined when absent, an error when empty. */
export function param(params: FormParams | undefined, name: string): string | undefined {
  const value = params?.[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw new InvalidRequest(`parameter "${name}" is repeated`);
  if (value.length === 0) throw new InvalidRequest(`parameter "${name}" is empty`);
  return value;
}

export function requiredParam(params: FormParams | undefined, name: string): string {
  const value = param(params, name);
  if (value === undefined) throw new InvalidRequest(`parameter "${name}" is required`);
  return value;
}

export function listParam(params: FormParams | undefined, name: string): string[] {
  const value = params?.[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((v) => v.length > 0);
}
