import { pino, type Logger, type DestinationStream, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level name; 'silent' turns logging off (tests). */
  readonly level?: LevelWithSilent;
  /** Where JSON lines go; defaults to stdout (fd 1), written synchronously so a "listening" line is never lost. */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /** Fields on every line (e.g. the component). */
  readonly base?: Record<string, unknown>;
}

/**
 * The one logger factory. Components get child loggers
 * (`logger.child({ component: 'upstream' })`) from the logger injected into
 * them, so a test can pass its own destination and read the lines.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const destination = options.destination ?? pino.destination({ fd: 1, sync: true });
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      // Upstream tokens travel in headers; never let one reach a log line.
      redact: { paths: ['headers.authorization', 'headers.Authorization', '*.headers.authorization', 'token'], censor: '[redacted]' },
    },
    destination as DestinationStream,
  );
}
