import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { parseByteSize, parseDuration } from '../../platform/index.js';
import { SCOPE_TOKEN } from '../../tokens/index.js';
import { canonicalPath } from '../request-target.js';

/** One route as configured: what it matches, where it goes, and the policy a request must meet. */
export interface RouteDefinition {
  name: string;
  /** Exact host (case-insensitive, port ignored); absent matches any host. */
  host?: string;
  /** Canonical (see request-target.ts); matched on whole path segments: `/api` matches `/api` and `/api/x`, never `/apix`. */
  pathPrefix: string;
  /** Match the prefix ignoring ASCII case, for a backend that serves `/ADMIN` as `/admin`. */
  caseInsensitive: boolean;
  /** Absent matches every method. */
  methods?: string[];
  /** Absent: the route only serves forward-auth decisions. */
  upstream?: string;
  /** Remove the prefix before proxying (`/api/x` reaches the upstream as `/x`). */
  stripPrefix: boolean;
  timeoutMs?: number;
  /** Proxy mode: the largest request body the upstream may receive; absent, EDGE_MAX_BODY_SIZE. */
  maxBodyBytes?: number;
  policy: { audience: string[]; scopes: string[]; anonymous: boolean };
  /** Extra identity headers: header name → claim name. */
  claimHeaders: Record<string, string>;
}

function isHttpUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '';
  } catch {
    return false;
  }
}

const HEADER_NAME = /^[A-Za-z0-9-]+$/;
const stringList = z.union([z.string().min(1), z.array(z.string().min(1))]).transform((v) => (Array.isArray(v) ? v : [v]));

const ROUTE = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, _ . -'),
    host: z.string().min(1).transform((h) => h.toLowerCase()).optional(),
    // Written as requests are judged: `/%61pi` is `/api`, and a prefix no request can match is an error.
    pathPrefix: z
      .string()
      .default('/')
      .transform((prefix, context) => {
        const canonical = canonicalPath(prefix);
        if (canonical === undefined || prefix.includes('?')) {
          context.addIssue({ code: 'custom', message: 'must be a canonical path: starts with /, no dot or empty segments, no ;, no encoded / \\ or controls' });
        }
        return canonical ?? prefix;
      }),
    caseInsensitive: z.boolean().default(false),
    methods: z.array(z.string().regex(/^[A-Z]+$/, 'must be an upper-case HTTP method')).min(1).optional(),
    upstream: z.string().refine(isHttpUrl, 'must be an absolute http(s) URL').optional(),
    stripPrefix: z.boolean().default(false),
    timeout: z.string().refine((t) => parseDuration(t) !== undefined, 'must be a duration such as 10s').optional(),
    maxBodySize: z.string().refine((t) => parseByteSize(t) !== undefined, 'must be a size such as 512kb or 1mb').optional(),
    policy: z
      .object({
        audience: stringList.optional(),
        scopes: z.array(z.string().regex(SCOPE_TOKEN, 'must be an RFC 6749 scope token')).default([]),
        anonymous: z.boolean().default(false),
      })
      .strict(),
    claimHeaders: z
      .record(z.string().regex(HEADER_NAME, 'must be a header name'), z.string().min(1))
      .default({}),
  })
  .strict()
  // Audience is what stops a token for one API from being replayed against another.
  .refine((r) => r.policy.anonymous || (r.policy.audience?.length ?? 0) > 0, {
    message: 'policy.audience is required unless policy.anonymous is true',
    path: ['policy', 'audience'],
  });

const ROUTE_FILE = z.object({ routes: z.array(ROUTE) }).strict();

/** A route as written in the YAML file or passed in code, before validation (durations as text). */
export type RouteSpec = z.input<typeof ROUTE>;

/** Thrown at start for an unreadable or invalid route file; names the route and field. */
export class RouteConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteConfigError';
  }
}

/** Validates a parsed route document (the YAML file's content, or routes passed in code). */
export function parseRoutes(document: unknown): RouteDefinition[] {
  const result = ROUTE_FILE.safeParse(document);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new RouteConfigError(`Invalid route configuration:\n${problems}`);
  }
  const names = new Set<string>();
  return result.data.routes.map((route) => {
    if (names.has(route.name)) throw new RouteConfigError(`Invalid route configuration: duplicate route name ${route.name}`);
    names.add(route.name);
    const prefix = route.pathPrefix.length > 1 ? route.pathPrefix.replace(/\/+$/, '') : route.pathPrefix;
    return {
      name: route.name,
      ...(route.host === undefined ? {} : { host: route.host }),
      pathPrefix: prefix,
      caseInsensitive: route.caseInsensitive,
      ...(route.methods === undefined ? {} : { methods: route.methods }),
      ...(route.upstream === undefined ? {} : { upstream: route.upstream }),
      stripPrefix: route.stripPrefix,
      ...(route.timeout === undefined ? {} : { timeoutMs: parseDuration(route.timeout)! }),
      ...(route.maxBodySize === undefined ? {} : { maxBodyBytes: parseByteSize(route.maxBodySize)! }),
      policy: { audience: route.policy.audience ?? [], scopes: route.policy.scopes, anonymous: route.policy.anonymous },
      claimHeaders: route.claimHeaders,
    };
  });
}

export function readRouteFile(path: string): RouteDefinition[] {
  let document: unknown;
  try {
    document = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new RouteConfigError(`Cannot read route file ${path}: ${error instanceof Error ? error.message : 'unknown error'}`);
  }
  return parseRoutes(document);
}
