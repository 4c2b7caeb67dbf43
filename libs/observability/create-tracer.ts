import type { RequestRecord } from './request-log.js';
import type { TraceContext } from './trace-context.js';
import type { OtlpExporter } from './otlp-exporter.js';

/** What a sampled request carries until its response closes (nothing at all when it is not sampled). */
export interface SpanStart {
  /** the caller's span id when the request continued its trace */
  parentSpanId: string | undefined;
  scheme: 'http' | 'https';
}

export interface Tracer {
  /**
   * Decides whether this request is traced and sets the sampled flag of the
   * `traceparent` sent upstream accordingly (so the next hop can follow).
   * Returns undefined (no allocation) when the request is not sampled.
   */
  start(trace: TraceContext, incoming: string | string[] | undefined, encrypted: boolean): SpanStart | undefined;
  /** builds the request's server span from the record (as OTLP/JSON text: no object graph to keep or serialise) and queues it */
  end(span: SpanStart, record: RequestRecord, status: number): void;
}

export interface TracerOptions {
  exporter: Pick<OtlpExporter, 'add'>;
  sampleRatio: number;
  /** follow a sampled `traceparent` from the caller */
  parentBased: boolean;
}

const SPAN_KIND_SERVER = 2;
const STATUS_UNSET = 0;
const STATUS_ERROR = 2;
const MAX_HOST = 255;

/** ms since the epoch (fractional, from performance.now()) → OTLP's decimal nanoseconds, without losing the sub-ms part to float rounding */
function unixNano(ms: number): string {
  const whole = Math.floor(ms);
  const nanos = Math.min(999_999, Math.round((ms - whole) * 1e6));
  return `${whole}${String(nanos).padStart(6, '0')}`;
}

/** one string attribute in the OTLP/JSON encoding; the value may be anything a client sent, so it is JSON-escaped */
const str = (key: string, value: string) => `{"key":"${key}","value":{"stringValue":${JSON.stringify(value)}}}`;

/**
 * One SERVER span per sampled request, with the HTTP semantic-convention
 * attributes (stable names: `http.request.method`, `url.path`, `url.scheme`,
 * `server.address`, `http.response.status_code`, `error.type`) and the
 * gateway's own (`phantom.*`: route, refusal code and reason, cache, request
 * id, and the client_id/sub the access log already writes). The span id is
 * the one this hop sends upstream in `traceparent`, so the next hop's span is
 * its child. Never a token, a query string or any other claim.
 * Sampling: a sampled parent is followed (`parentBased`); otherwise a trace
 * is sampled when its id falls under `sampleRatio` (the same decision on
 * every hop, like OpenTelemetry's TraceIdRatioBased).
 */
export function createTracer(options: TracerOptions): Tracer {
  // trace ids are random: their last 8 hex digits are a uniform 32-bit number
  const bound = Math.floor(options.sampleRatio * 0x1_0000_0000);
  const sampledByRatio = (traceId: string) => options.sampleRatio >= 1 || Number.parseInt(traceId.slice(24), 16) < bound;
  const origin = performance.timeOrigin;

  return {
    start(trace, incoming, encrypted) {
      // continueTrace kept the caller's trace id only for a valid traceparent: then its parent id and flags are at fixed offsets
      const continued = typeof incoming === 'string' && incoming.length === 55 && incoming.slice(3, 35) === trace.traceId;
      const parentSampled = continued && options.parentBased && (Number.parseInt(incoming.slice(53, 55), 16) & 1) === 1;
      const sampled = parentSampled || sampledByRatio(trace.traceId);
      trace.traceparent = `${trace.traceparent.slice(0, 53)}${sampled ? '01' : '00'}`;
      if (!sampled) return undefined;
      return { parentSpanId: continued ? incoming.slice(36, 52) : undefined, scheme: encrypted ? 'https' : 'http' };
    },
    end(span, record, status) {
      const q = record.path.indexOf('?');
      // the canonical path; a request refused before canonicalisation still holds its raw target: never its query
      let attributes = `${str('http.request.method', record.method)},${str('url.path', q === -1 ? record.path : record.path.slice(0, q))},`
        + `{"key":"url.scheme","value":{"stringValue":"${span.scheme}"}},{"key":"http.response.status_code","value":{"intValue":"${status}"}},`
        + str('phantom.request_id', record.requestId);
      if (record.host) attributes += `,${str('server.address', record.host.length > MAX_HOST ? record.host.slice(0, MAX_HOST) : record.host)}`;
      if (record.route) attributes += `,${str('phantom.route', record.route)}`;
      if (record.code) attributes += `,${str('phantom.code', record.code)}`;
      if (record.reason) attributes += `,${str('phantom.reason', record.reason)}`;
      if (record.cache) attributes += `,${str('phantom.cache', record.cache)}`;
      if (record.clientId) attributes += `,${str('phantom.client_id', record.clientId)}`;
      if (record.sub) attributes += `,${str('phantom.sub', record.sub)}`;
      if (record.upstreamMs !== undefined) attributes += `,{"key":"phantom.upstream_ms","value":{"intValue":"${Math.round(record.upstreamMs)}"}}`;
      if (status >= 500) attributes += `,${str('error.type', record.code ?? String(status))}`;
      const name = record.route ? `${record.method} ${record.route}` : record.method;
      const statusJson = status >= 500 ? `{"code":${STATUS_ERROR},"message":${JSON.stringify(record.code ?? `HTTP ${status}`)}}` : `{"code":${STATUS_UNSET}}`;
      // trace and span ids are hex already (continueTrace checked the caller's); only free text goes through JSON.stringify
      options.exporter.add(`{"traceId":"${record.traceId}","spanId":"${record.traceparent.slice(36, 52)}",`
        + `${span.parentSpanId ? `"parentSpanId":"${span.parentSpanId}",` : ''}"name":${JSON.stringify(name)},"kind":${SPAN_KIND_SERVER},`
        + `"startTimeUnixNano":"${unixNano(origin + record.start)}","endTimeUnixNano":"${unixNano(origin + performance.now())}",`
        + `"attributes":[${attributes}],"status":${statusJson}}`);
    },
  };
}
