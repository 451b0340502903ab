import { createLogger, type Logger, type LogLevel } from '../../src/platform/index.js';

/** A real pino logger whose every line is kept, so tests can assert on what would reach a log. */
export function capturingLogger(name: string, level: LogLevel = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ name, level, destination: { write: (line: string) => void lines.push(line) } });
  return { logger, lines };
}
