import { EnvReader, readEdgeConfig, scrubTokens, type EdgeConfig } from '../../src/platform/index.js';
import { MemoryEventBus, MemoryRateLimiter, type EventBus, type RateLimiter } from '../../src/store/index.js';
import { createEdgeService, type EdgeService, type EdgeServiceOptions, type RouteSpec } from '../../src/edge/index.js';
import { FakeIssuer, TEST_AUDIENCE } from '../support/fake-issuer.js';
import { capturingLogger } from '../support/log-capture.js';

export interface TestEdge {
  url: string;
  service: EdgeService;
  /** Every log line the edge wrote, as text. */
  logs: string[];
  close(): Promise<void>;
}

const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\./;

/** A route every test can use: forward-auth decisions for anything under /api. */
export const API_ROUTE: RouteSpec = {
  name: 'api',
  pathPrefix: '/api',
  policy: { audience: TEST_AUDIENCE, scopes: ['read'] },
};

export interface TestEdgeOptions {
  issuer: FakeIssuer | { url: string; internalUrl: string; issuer: string; revocationFeedToken?: string };
  /** Where the edge gets its feed credential, instead of the issuer's token. */
  revocationFeedToken?: EdgeServiceOptions['revocationFeedToken'];
  routes?: RouteSpec[];
  env?: Record<string, string>;
  bus?: EventBus;
  rateLimiter?: RateLimiter;
  now?: () => number;
}

/** Starts an edge on an ephemeral port against the given issuer, with test-friendly intervals. */
export async function startTestEdge(options: TestEdgeOptions): Promise<TestEdge> {
  const config: EdgeConfig = readEdgeConfig(
    new EnvReader({
      EDGE_PORT: '0',
      EDGE_TOKEN_SERVICE_URL: options.issuer.url,
      EDGE_TOKEN_SERVICE_INTERNAL_URL: options.issuer.internalUrl,
      EDGE_ISSUER: options.issuer.issuer,
      EDGE_KID_MISS_MIN_INTERVAL: '0s',
      EDGE_RATE_LIMIT_IP: 'off',
      EDGE_RATE_LIMIT_SUBJECT: 'off',
      ...options.env,
    }),
  );
  const { logger, lines: logs } = capturingLogger('auth-edge');
  const bus = options.bus ?? new MemoryEventBus();
  const service = createEdgeService({
    config,
    logger,
    bus,
    rateLimiter: options.rateLimiter ?? new MemoryRateLimiter(),
    routes: options.routes ?? [API_ROUTE],
    revocationFeedToken: options.revocationFeedToken ?? options.issuer.revocationFeedToken,
    ...(options.now ? { now: options.now } : {}),
  });
  const url = await service.start();
  return {
    url,
    service,
    logs,
    async close() {
      await service.close();
      // Every test doubles as a check of the logging rule: no token ever reaches a log line.
      const leaked = logs.find((line) => JWT.test(line));
      if (leaked !== undefined) throw new Error(`a token reached an edge log line: ${scrubTokens(leaked)}`);
    },
  };
}

/** Asks the edge's forward-auth endpoint about a request, as nginx (the default trusted proxy) would. */
export async function verify(
  edge: TestEdge,
  token: string | undefined,
  init: { uri?: string; method?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'x-original-uri': init.uri ?? '/api/orders',
    'x-original-method': init.method ?? 'GET',
    'x-original-host': init.host ?? 'api.example',
    ...init.headers,
  };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return fetch(`${edge.url}/auth/verify`, { headers });
}

/** The refusal code from a response: the body's `code` (also in X-Auth-Error). */
export async function refusalCode(response: Response): Promise<string | undefined> {
  const text = await response.text();
  return text === '' ? undefined : (JSON.parse(text) as { code?: string }).code;
}

/** Polls `condition` until it holds or `timeoutMs` passes; resolves to whether it held. */
export async function eventually(condition: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export interface EdgeWithIssuer {
  issuer: FakeIssuer;
  edge: TestEdge;
  /** The in-process bus both share, as on the embedded default. */
  bus: MemoryEventBus;
  close(): Promise<void>;
}

/** A fake issuer and an edge sharing one in-process bus: revocations apply as they are published. */
export async function startEdgeWithIssuer(options: Omit<TestEdgeOptions, 'issuer' | 'bus'> = {}): Promise<EdgeWithIssuer> {
  const bus = new MemoryEventBus();
  const issuer = await FakeIssuer.start({ bus });
  try {
    const edge = await startTestEdge({ ...options, issuer, bus });
    return {
      issuer,
      edge,
      bus,
      async close() {
        await edge.close();
        await issuer.close();
      },
    };
  } catch (error) {
    await issuer.close();
    throw error;
  }
}

/** Runs `test` against a fresh issuer and edge, closing both whatever happens. */
export async function withEdge(options: Omit<TestEdgeOptions, 'issuer' | 'bus'>, test: (setup: EdgeWithIssuer) => Promise<void>): Promise<void> {
  const setup = await startEdgeWithIssuer(options);
  try {
    await test(setup);
  } finally {
    await setup.close();
  }
}
