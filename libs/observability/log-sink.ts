import { pino, type Logger } from 'pino';

/**
 * Where a gateway's JSON log lines go: an asynchronous, buffered file
 * descriptor (pino's sonic-boom destination). A request never waits for a
 * write; lines are written in batches once `minBytes` are buffered, and at
 * least every `flushMs`. The buffer is bounded: when the sink does not keep
 * up (a blocked pipe, a slow disk), lines past `maxBytes` are dropped and
 * counted rather than held, so memory stays bounded. Every buffered line is
 * written on process exit (pino flushes synchronously then) and by
 * `flushLogger` before a drain ends.
 */
export interface LogSinkOptions {
  /** file descriptor or file path; default 1 (stdout) */
  dest?: number | string;
  /** bytes buffered before a write starts (batching); default 4 KiB */
  minBytes?: number;
  /** the most bytes buffered while the sink is busy; lines beyond are dropped; default 8 MiB */
  maxBytes?: number;
  /** idle flush interval in ms, so a quiet gateway's lines appear promptly; default 100 */
  flushMs?: number;
}

export interface LogSink {
  readonly stream: ReturnType<typeof pino.destination>;
  /** lines dropped because the buffer was full */
  readonly stats: { dropped: number };
}

export const LOG_SINK_DEFAULTS = { dest: 1, minBytes: 4096, maxBytes: 8 * 1024 * 1024, flushMs: 100 } as const;

const sinks = new WeakMap<Logger, LogSink>();

export function createLogSink(options: LogSinkOptions = {}): LogSink {
  const o = { ...LOG_SINK_DEFAULTS, ...options };
  const stream = pino.destination({ dest: o.dest, sync: false, minLength: o.minBytes, maxLength: o.maxBytes, periodicFlush: o.flushMs });
  const stats = { dropped: 0 };
  stream.on('drop', () => { stats.dropped++; });
  return { stream, stats };
}

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
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    try {
      // the callback comes once the buffer is written (its fsync error on a pipe does not matter)
      sink.stream.flush(() => { clearTimeout(timer); resolve(); });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Flushes, then closes the logger's sink (its timer and file descriptor); for tests and embedders. */
export async function closeLogger(logger: Logger, timeoutMs = 2000): Promise<void> {
  await flushLogger(logger, timeoutMs);
  const sink = sinks.get(logger);
  if (!sink) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    sink.stream.once('close', () => { clearTimeout(timer); resolve(); });
    sink.stream.end();
  });
}
