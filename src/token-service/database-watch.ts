import { gauge, type DependencyStatus, type Logger, type Readiness, type Registry } from '../platform/index.js';
import { DatabaseUnavailableError, type Db } from '../store/index.js';

/** Kept under the readiness check's own 2 s bound, so a silent database reads as degraded, not as a timed-out check. */
const PING_TIMEOUT_MS = 1_000;

/** What a replica still does without the database (docs/runbook.md, "PostgreSQL unavailable"). */
const STILL_SERVING =
  'still serving client_credentials for clients this replica has already authenticated by secret, the JWKS and metadata; ' +
  'everything else answers 503 (temporarily_unavailable, database_unavailable) until it is back';

class NoAnswer extends Error {}

export interface DatabaseWatchOptions {
  db: Db;
  logger: Logger;
  registry: Registry;
  readiness: Readiness;
}

/**
 * Makes a database outage visible where an operator looks: one warn line when it starts
 * (`database: unavailable`), one info line when it ends (`database: connection restored`), the
 * `database_up` gauge, and the `database` readiness entry. That entry is `degraded`, not `down`:
 * every replica shares the database, so taking them all out of rotation would only stop what
 * still works. Returns the unsubscribe, for close.
 */
export function watchDatabase(options: DatabaseWatchOptions): () => void {
  const { db, logger } = options;
  const unsubscribe = db.availability?.subscribe((change) => {
    if (change.up) logger.info({ database: 'up', downForMs: change.downForMs }, 'database: connection restored');
    else logger.warn({ database: 'unavailable', cause: change.cause }, 'database: unavailable; requests that need it get 503 until it is back');
  });
  gauge(options.registry, 'database_up', 'Whether the database answered its last call (1) or could not be reached (0)', [], function () {
    this.set(db.availability?.current().up === false ? 0 : 1);
  });
  options.readiness.register('database', () => databaseStatus(db));
  return unsubscribe ?? (() => undefined);
}

/** A ping, so readiness also notices the database coming back when no request has asked it yet. */
async function databaseStatus(db: Db): Promise<DependencyStatus> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      db.ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new NoAnswer()), PING_TIMEOUT_MS);
      }),
    ]);
    return { status: 'up', engine: db.kind };
  } catch (error) {
    if (!(error instanceof DatabaseUnavailableError) && !(error instanceof NoAnswer)) throw error;
    const state = db.availability?.current();
    const what = state !== undefined && !state.up ? `has been unreachable since ${state.since.toISOString()} (${state.cause})` : `did not answer within ${PING_TIMEOUT_MS} ms`;
    return { status: 'degraded', engine: db.kind, reachable: false, detail: `the database ${what}; ${STILL_SERVING}` };
  } finally {
    clearTimeout(timer);
  }
}
