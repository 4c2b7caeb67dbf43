import { pino, type Logger } from 'pino';

/** One request's facts, filled in along the pipeline and written once when the response ends. */
export interface RequestRecord {
  requestId: string;
  traceId: string;
  /** the traceparent this hop sends upstream */
  traceparent: string;
  method: string;
  /** the canonical path (see canonicalTarget), without the query */
  path: string;
  /** the query string as received (`''` or `?…`), forwarded, never logged */
  query: string;
  /** the normalised Host (see normaliseHost) */
  host?: string;
  route?: string;
  status?: number;
  code?: string;
  reason?: string;
  clientId?: string;
  sub?: string;
  /** introspection or verification cache: hit | miss | shared */
  cache?: string;
  /** the policy decision that admitted the request (see libs/policy) */
  policy?: string;
  start: number;
  /** milliseconds until the upstream's response headers arrived */
  upstreamMs?: number;
  /** a WebSocket tunnel: when its 101 went out (the duration metric stops there; the log line shows the tunnel's life) */
  switchedAt?: number;
  /** what the request holds until its response closes (a concurrency slot) */
  onClose?: () => void;
}

const S = pino.symbols as unknown as Readonly<Record<string, symbol>>;

/** the pieces pino builds a line from, when nothing of this logger's configuration changes lines; else undefined */
function linePieces(logger: Logger) {
  const l = logger as unknown as Record<symbol, unknown>;
  const stream = l[S.streamSym] as { write(line: string): unknown; [key: symbol]: unknown } | undefined;
  const formatters = l[S.formattersSym] as { log?: unknown } | undefined;
  const hooks = l[S.hooksSym] as { streamWrite?: unknown } | undefined;
  if (!stream || stream[S.needsMetadataGsym] || l[S.mixinSym] || l[S.msgPrefixSym] || l[S.nestedKeySym] || formatters?.log || hooks?.streamWrite) return undefined;
  return {
    stream, levels: l[S.lsCacheSym] as Record<number, string>, time: l[S.timeSym] as () => string,
    bindings: l[S.chindingsSym] as string, msgKey: JSON.stringify(l[S.messageKeySym] as string), end: l[S.endSym] as string,
  };
}

/** what JSON.stringify would escape in a string: a quote, a backslash, a control character, a surrogate (lone ones become \\u escapes) */
const NEEDS_ESCAPE = /["\\\x00-\x1f\ud800-\udfff]/;
/** a string as JSON: as it is between quotes when nothing in it needs escaping (3× cheaper than JSON.stringify for these short fields) */
const q = (s: string) => (NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`);
const num = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * Milliseconds rounded to hundredths, printed as JSON prints
 * `Math.round(ms * 100) / 100`, from integers: a double's shortest-digits
 * conversion was ~1 % of an edge hop's CPU under perf (two per line).
 */
export function hundredths(ms: number): string {
  const h = Math.round(ms * 100);
  if (!(h >= 0 && h < 2 ** 31)) return String(num(h / 100));
  const whole = Math.floor(h / 100);
  const frac = h - whole * 100;
  if (frac === 0) return `${whole}`;
  return frac % 10 === 0 ? `${whole}.${frac / 10}` : `${whole}.${frac < 10 ? '0' : ''}${frac}`;
}

/**
 * Writes the single line a request leaves: every request when the access log
 * is on, otherwise only refusals and failures. The path is logged without its
 * query string (queries can carry secrets).
 * Redaction by construction: every field is copied from the record, none of
 * which holds a credential, so these lines skip the logger's redaction paths
 * (a child logger without them; the wildcard paths cost ~3× a line).
 * The line is the one pino would print (its level, time and bindings, the
 * fields in order, undefined ones left out), built here field by field and
 * handed to the logger's stream: pino's generic serialisation cost ~50 000
 * instructions per line under callgrind, 11 % of a micro gateway request.
 * A logger whose configuration changes lines (mixin, hooks, a multistream)
 * gets its lines through pino.
 */
export function createRequestLog(parent: Logger, options: { accessLog: boolean }) {
  const logger = parent.child({}, { redact: [] });
  const pieces = linePieces(logger);
  return function logRequest(record: RequestRecord, status: number): void {
    if (!options.accessLog && status < 400) return;
    const level = status >= 500 ? 40 : 30;
    if (level < logger.levelVal) return;
    const q0 = record.path.indexOf('?');
    const path = q0 === -1 ? record.path : record.path.slice(0, q0);
    const durationMs = performance.now() - record.start;
    const msg = status >= 500 ? 'request failed' : status >= 400 ? 'request refused' : 'request';
    if (!pieces) {
      const line = {
        request_id: record.requestId, trace_id: record.traceId, method: record.method, path, route: record.route, status,
        duration_ms: Math.round(durationMs * 100) / 100, upstream_ms: record.upstreamMs === undefined ? undefined : Math.round(record.upstreamMs * 100) / 100, client_id: record.clientId, sub: record.sub, cache: record.cache, policy: record.policy, code: record.code, reason: record.reason,
      };
      if (level === 40) logger.warn(line, msg); else logger.info(line, msg);
      return;
    }
    let line = `${pieces.levels[level]}${pieces.time()}${pieces.bindings},"request_id":${q(record.requestId)},"trace_id":${q(record.traceId)},"method":${q(record.method)},"path":${q(path)}`;
    if (record.route !== undefined) line += `,"route":${q(record.route)}`;
    line += `,"status":${num(status)},"duration_ms":${hundredths(durationMs)}`;
    if (record.upstreamMs !== undefined) line += `,"upstream_ms":${hundredths(record.upstreamMs)}`;
    if (record.clientId !== undefined) line += `,"client_id":${q(record.clientId)}`;
    if (record.sub !== undefined) line += `,"sub":${q(record.sub)}`;
    if (record.cache !== undefined) line += `,"cache":${q(record.cache)}`;
    if (record.policy !== undefined) line += `,"policy":${q(record.policy)}`;
    if (record.code !== undefined) line += `,"code":${q(record.code)}`;
    if (record.reason !== undefined) line += `,"reason":${q(record.reason)}`;
    pieces.stream.write(`${line},${pieces.msgKey}:${q(msg)}${pieces.end}`);
  };
}
