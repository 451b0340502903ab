/** What a load loop saw: how many requests it sent, and each one that failed, described. */
export interface LoadResult {
  requests: number;
  failures: string[];
  /** `caller` when the drill stopped it; `bound` when it ran out of requests or time first. */
  stoppedBy: 'caller' | 'bound';
}

export interface Load {
  /** Requests sent so far. */
  readonly requests: number;
  stop(): Promise<LoadResult>;
}

export interface LoadBounds {
  maxRequests: number;
  maxMs: number;
}

/** Past any drill's need, and under the per-file test timeout (120 s). */
const DEFAULT_BOUNDS: LoadBounds = { maxRequests: 100_000, maxMs: 110_000 };

/** Most failures kept verbatim; past that only the count grows, so a broken platform cannot fill memory. */
const KEPT_FAILURES = 50;

/**
 * Sends one request after another, as a client population would, until the drill stops it or a
 * bound is reached (whichever comes first), so it never outlives a drill that fails half way.
 * `request` resolves to undefined on success or a description of the failure; a throw (a refused
 * connection) is a failure too.
 */
export function startLoad(request: () => Promise<string | undefined>, bounds: LoadBounds = DEFAULT_BOUNDS): Load {
  const deadline = Date.now() + bounds.maxMs;
  let running = true;
  let requests = 0;
  let failed = 0;
  const failures: string[] = [];
  // The time of each failure, to set beside the services' log lines (their "time" field).
  const note = (failure: string) => {
    failed += 1;
    if (failures.length < KEPT_FAILURES) failures.push(`${new Date().toISOString()} ${failure}`);
  };
  const loop = (async (): Promise<'caller' | 'bound'> => {
    while (running) {
      if (requests >= bounds.maxRequests || Date.now() >= deadline) return 'bound';
      requests += 1;
      try {
        const failure = await request();
        if (failure !== undefined) note(failure);
      } catch (error) {
        note(error instanceof Error ? `${error.message}${error.cause instanceof Error ? `: ${error.cause.message}` : ''}` : String(error));
      }
    }
    return 'caller';
  })();
  return {
    get requests() {
      return requests;
    },
    async stop() {
      running = false;
      const stoppedBy = await loop;
      if (failed > failures.length) failures.push(`… and ${failed - failures.length} more`);
      return { requests, failures, stoppedBy };
    },
  };
}
