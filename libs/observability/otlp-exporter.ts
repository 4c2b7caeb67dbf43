import type { Logger } from 'pino';
import { request } from 'undici';

/** One span in the OTLP/JSON encoding (opentelemetry-proto `Span`; ids in hex, times as decimal strings): what `add` takes, as text. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpAttribute[];
  status: { code: number; message?: string };
}
export interface OtlpAttribute { key: string; value: { stringValue: string } | { intValue: string } | { boolValue: boolean } }

export interface OtlpExporterOptions {
  endpoint: string;
  headers: Record<string, string>;
  timeoutMs: number;
  flushIntervalMs: number;
  maxBatchSpans: number;
  maxQueueSpans: number;
  /** resource attributes (service.name …) sent with every batch */
  resource: OtlpAttribute[];
  logger: Logger;
}

export interface OtlpExporter {
  /** queues a finished span, encoded as one OTLP/JSON `Span` object; when the queue is full it is dropped and counted */
  add(span: string): void;
  readonly stats: { exported: number; dropped: number; failedExports: number };
  /** stops the timer and sends what is queued, for at most one export timeout in all */
  close(): Promise<void>;
}

const SCOPE = { name: 'phantom-gateway' };

/**
 * A batching OTLP/HTTP exporter, JSON encoding (OTLP specification 1.x,
 * "JSON Protobuf Encoding"): finished spans are queued (bounded), sent in
 * batches of `maxBatchSpans`, at least every `flushIntervalMs`, one request
 * in flight at a time. A batch the collector refuses or does not answer in
 * `timeoutMs` is dropped and counted (no retry: a trace is worth less than the
 * gateway's memory). Nothing here runs on a request's path but `add`.
 * Why not the OpenTelemetry SDK's exporter: ten-odd packages in two major
 * versions for one span per request, a span object and context on every
 * request, and no count of the spans its batch processor drops (README,
 * "Dependencies"); the OTLP/HTTP JSON encoding is a stable specification.
 */
export function createOtlpExporter(options: OtlpExporterOptions): OtlpExporter {
  // spans wait in batches: full ones ready to go, and the one filling up
  const full: Buffer[][] = [];
  let filling: Buffer[] = [];
  let queued = 0;
  let sending: Promise<void> | undefined;
  let failing = false;
  const stats = { exported: 0, dropped: 0, failedExports: 0 };
  const headers = { ...options.headers, 'content-type': 'application/json' };

  // the envelope around the spans, serialised once
  const head = Buffer.from(`{"resourceSpans":[{"resource":{"attributes":${JSON.stringify(options.resource)}},"scopeSpans":[{"scope":${JSON.stringify(SCOPE)},"spans":[`);
  const tail = Buffer.from(']}]}]}');
  const comma = Buffer.from(',');

  async function post(spans: Buffer[]): Promise<void> {
    const parts: Buffer[] = [head];
    for (let i = 0; i < spans.length; i++) { if (i > 0) parts.push(comma); parts.push(spans[i]!); }
    parts.push(tail);
    const body = Buffer.concat(parts);
    try {
      // undici's request, not fetch: the body goes out as it is (fetch copies it into a web stream: ~10 % of the export's CPU)
      const res = await request(options.endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs) });
      await res.body.dump(); // the answer (an ExportTraceServiceResponse) is not needed; the connection is reused
      if (res.statusCode < 200 || res.statusCode > 299) throw new Error(`HTTP ${res.statusCode}`);
      stats.exported += spans.length;
      if (failing) { failing = false; options.logger.info({ endpoint: options.endpoint }, 'trace export works again'); }
    } catch (err) {
      stats.dropped += spans.length;
      stats.failedExports++;
      // one line when exports start failing, not one per batch
      if (!failing) {
        failing = true;
        const e = err as Error;
        options.logger.warn({ endpoint: options.endpoint, cause: String((e.cause as Error)?.message ?? e.message) }, 'trace export failed; spans are dropped until the collector answers');
      }
    }
  }

  /**
   * Sends full batches while there are some; with `all`, also what was queued
   * when it was called (the timer, close). One request at a time. Spans that
   * arrive while a batch is out wait for a full batch or the next tick, never
   * go out in a trickle of small requests.
   */
  function flush(all: boolean): Promise<void> {
    if (sending) return sending;
    if (full.length === 0 && !(all && filling.length > 0)) return Promise.resolve();
    // with `all`: the partial batch of this moment goes too (not the ones that fill up meanwhile)
    let owed = all ? queued : 0;
    sending = (async () => {
      for (;;) {
        let batch = full.shift();
        if (!batch && owed > 0 && filling.length > 0) { batch = filling; filling = []; }
        if (!batch) break;
        queued -= batch.length;
        owed -= batch.length;
        await post(batch);
      }
    })().finally(() => { sending = undefined; });
    return sending;
  }

  const timer = setInterval(() => { void flush(true); }, options.flushIntervalMs);
  timer.unref();

  return {
    stats,
    add(span) {
      if (queued >= options.maxQueueSpans) { stats.dropped++; return; }
      queued++;
      // bytes now: a span's text is a rope of small pieces, and joining thousands of ropes costs ~4× encoding each one
      filling.push(Buffer.from(span));
      if (filling.length < options.maxBatchSpans) return;
      full.push(filling);
      filling = [];
      if (!sending) void flush(false);
    },
    async close() {
      clearInterval(timer);
      // a batch already in flight first, then what is left; the whole at most one export timeout, so a drain never waits on a dead collector
      let expired: NodeJS.Timeout | undefined;
      const limit = new Promise<void>((resolve) => { expired = setTimeout(resolve, options.timeoutMs); });
      await Promise.race([(async () => { await sending; await flush(true); })(), limit]);
      clearTimeout(expired);
    },
  };
}
