import type { Logger } from 'pino';

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

/**
 * Writes the single line a request leaves: every request when the access log
 * is on, otherwise only refusals and failures. The path is logged without its
 * query string (queries can carry secrets).
 * Redaction by construction: every field is copied from the record, none of
 * which holds a credential, so these lines skip the logger's redaction paths
 * (a child logger without them; the wildcard paths cost ~3× a line).
 */
export function createRequestLog(parent: Logger, options: { accessLog: boolean }) {
  const logger = parent.child({}, { redact: [] });
  return function logRequest(record: RequestRecord, status: number): void {
    if (!options.accessLog && status < 400) return;
    const q = record.path.indexOf('?');
    const line = {
      request_id: record.requestId,
      trace_id: record.traceId,
      method: record.method,
      path: q === -1 ? record.path : record.path.slice(0, q),
      route: record.route,
      status,
      duration_ms: Math.round((performance.now() - record.start) * 100) / 100,
      upstream_ms: record.upstreamMs === undefined ? undefined : Math.round(record.upstreamMs * 100) / 100,
      client_id: record.clientId,
      sub: record.sub,
      cache: record.cache,
      policy: record.policy,
      code: record.code,
      reason: record.reason,
    };
    if (status >= 500) logger.warn(line, 'request failed');
    else if (status >= 400) logger.info(line, 'request refused');
    else logger.info(line, 'request');
  };
}
