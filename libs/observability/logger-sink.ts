import type { Logger } from 'pino';
import type { LogSink } from './log-sink.js';

/** the sink each logger writes to (see createLogger) */
const sinks = new WeakMap<Logger, LogSink>();

/** remembers which sink a logger writes to (createLogger does this) */
export function attachSink(logger: Logger, sink: LogSink): void {
  sinks.set(logger, sink);
}

/** Lines the logger's sink dropped so far (0 for a logger without a bounded sink). */
export function droppedLogLines(logger: Logger): number {
  return sinks.get(logger)?.stats.dropped ?? 0;
}

/**
 * Writes every buffered line and resolves when the sink has taken them, or
 * after `timeoutMs` if the sink is blocked (a drain never hangs on its log).
 * Call it at the end of a drain, before `process.exit`.
 */
export function flushLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  const sink = sinks.get(logger);
  if (!sink) { logger.flush(); return Promise.resolve(); }
  return sink.flushed(timeoutMs);
}

/** Flushes, then closes the logger's sink (its timer and file descriptor); for tests and embedders. */
export async function closeLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  const sink = sinks.get(logger);
  if (!sink) { await flushLogger(logger, timeoutMs); return; }
  await sink.close(timeoutMs);
}
