import type { Logger } from './logger.js';

/**
 * Runs the closers in order on SIGTERM/SIGINT (servers first, so in-flight requests drain,
 * then stores), and forces exit if they take longer than the grace period.
 */
export function closeOnSignals(logger: Logger, graceMs: number, closers: Array<() => Promise<unknown>>): void {
  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
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
  process.once('SIGTERM', () => void close('SIGTERM'));
  process.once('SIGINT', () => void close('SIGINT'));
}
