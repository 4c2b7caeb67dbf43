import { pino, type Logger, type DestinationStream } from 'pino';
import { createLogSink, type LogSinkOptions } from './log-sink.js';
import { attachSink } from './logger-sink.js';
import { isoTime } from './iso-time.js';

export type { Logger };

/**
 * Paths that may hold a credential if someone ever logs a raw object; censored, never printed.
 * They apply to the general logger (start-up, warnings, errors). The access log's
 * record is built field by field from values that are never credentials (see
 * request-log.ts), so its lines skip redaction: wildcard paths cost ~3× a line.
 */
export const REDACT_PATHS = [
  'token', '*.token', 'access_token', '*.access_token', 'jwt', '*.jwt',
  'authorization', '*.authorization', '*.*.authorization', 'headers.authorization', 'req.headers.authorization',
  'cookie', '*.cookie', '*.*.cookie', 'set-cookie', '*.set-cookie',
  'client_secret', '*.client_secret', 'clientSecret', '*.clientSecret', 'password', '*.password',
];

/** pino-pretty is a development dependency: a production install logs JSON even with `logging.pretty: true` */
function prettyInstalled(): boolean {
  try { import.meta.resolve('pino-pretty'); return true; } catch { return false; }
}

/**
 * The process's logger: JSON lines to an asynchronous, bounded sink on
 * stdout (see log-sink.ts), or pretty lines in development. `destination`
 * replaces the sink (tests); `sink` tunes it.
 */
export function createLogger(options: { name: string; level: string; pretty?: boolean; destination?: DestinationStream; sink?: LogSinkOptions }): Logger {
  if (options.pretty && !prettyInstalled()) {
    const logger = createLogger({ ...options, pretty: false });
    logger.warn('logging.pretty is on but pino-pretty (a development dependency) is not installed; logging JSON');
    return logger;
  }
  const sink = options.pretty || options.destination ? undefined : createLogSink(options.sink);
  const logger = pino({
    name: options.name,
    level: options.level,
    base: { name: options.name },
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    timestamp: isoTime, // pino's isoTime, without a Date per line
    ...(options.pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : { formatters: { level: (label: string) => ({ level: label }) } }),
  }, options.pretty ? undefined : options.destination ?? sink);
  if (sink) attachSink(logger, sink);
  return logger;
}
