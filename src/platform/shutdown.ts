import type { Logger } from './logger.js';

/**
 * Runs the closers in order on SIGTERM/SIGINT (servers first, so in-flight requests drain,
 * then stores), and forces exit if they take longer than the grace period, or at once on a
 * second signal (a second Ctrl-C, an orchestrator that has waited long enough).
 */
export function closeOnSignals(logger: Logger, graceMs: number, closers: Array<() => Promise<unknown>>): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) {
      logger.warn({ signal }, 'second signal during shutdown; exiting now');
      process.exit(1);
    }
    closing = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, graceMs);
    force.unref();
    for (const closer of closers) {
      try {
        await closer();
      } catch (error) {
        logger.error({ err: error }, 'error during shutdown');
      }
    }
    logger.info('shutdown complete');
    process.exit(0);
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));
}
