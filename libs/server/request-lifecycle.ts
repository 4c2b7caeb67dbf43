import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { isGatewayError, writeError } from '../errors/index.js';
import { createRequestLog, type RequestRecord } from '../observability/index.js';
import { requestIdOf } from '../proxy/index.js';
import { continueTrace, type Metrics, type Tracer } from '../observability/index.js';
import { lingerAfterRefusal } from './linger-close.js';

/**
 * What every request of either gateway goes through around its pipeline: a
 * record started on arrival and logged once when the response closes, and
 * the one way a refusal is answered and noted (code and reason in the record).
 */
export function createRequestLifecycle(options: { logger: Logger; realm: string; accessLog: boolean; metrics?: Pick<Metrics, 'observe'> | undefined; lingerMs?: number; tracer?: Tracer | undefined }) {
  const { tracer } = options;
  const logRequest = createRequestLog(options.logger, { accessLog: options.accessLog });
  let inFlight = 0;
  let onIdle: (() => void)[] = [];

  function note(record: RequestRecord | undefined, err: unknown): void {
    if (isGatewayError(err)) {
      if (record) { record.code = err.code; if (err.reason) record.reason = err.reason; }
      if (err.status >= 500 && err.cause) {
        const cause = err.cause as { message?: string; cause?: { message?: string } };
        options.logger.warn({ request_id: record?.requestId, code: err.code, reason: err.reason, cause: cause.cause?.message ?? cause.message ?? String(cause) }, 'dependency failure');
      }
    } else {
      options.logger.error({ err, request_id: record?.requestId }, 'unexpected error');
    }
  }

  return {
    begin(req: IncomingMessage, res: ServerResponse): RequestRecord {
      const trace = continueTrace(req.headers.traceparent);
      // tracing off: no span object, no work; on: only sampled requests carry one
      const span = tracer?.start(trace, req.headers.traceparent, (req.socket as { encrypted?: boolean }).encrypted === true);
      // every field present from the start: one object shape for all requests
      const record: RequestRecord = {
        requestId: requestIdOf(req.headers), traceId: trace.traceId, traceparent: trace.traceparent,
        method: req.method ?? 'GET', path: req.url ?? '/', query: '', host: undefined,
        route: undefined, status: undefined, code: undefined, reason: undefined, clientId: undefined, sub: undefined, cache: undefined,
        start: performance.now(), upstreamMs: undefined, switchedAt: undefined, onClose: undefined,
      };
      // 'close' comes after 'finish', and also when the client went away first (logged as 499);
      // the one listener a request gets ('on': a response closes once, and `once` costs a wrapper)
      inFlight++;
      let closed = false;
      const onClose = () => {
        if (closed) return;
        closed = true;
        record.onClose?.();
        if (--inFlight === 0 && onIdle.length > 0) { for (const done of onIdle) done(); onIdle = []; }
        // unfinished: the client left (499), unless the response was cut on our side after its head went out (an
        // upstream failing mid-body: its code is in the record); that is logged with the status the client got
        const status = res.writableFinished || (res.headersSent && record.code !== undefined) ? res.statusCode : 499;
        logRequest(record, status);
        if (span && tracer) tracer.end(span, record, status);
        options.metrics?.observe(record.route, status, ((record.switchedAt ?? performance.now()) - record.start) / 1000, record.code, record.reason, record.upstreamMs === undefined ? undefined : record.upstreamMs / 1000);
      };
      res.on('close', onClose);
      // a pipelined request's response waits behind the one before it (no socket yet); if the connection closes
      // first, Node emits no 'close' for it: the socket's own 'close' ends its record, so nothing stays in flight
      if (!res.socket) req.socket.once('close', onClose);
      return record;
    },
    /** requests begun here whose response has not closed yet */
    get inFlight() { return inFlight; },
    /** resolves once every request begun here has closed (a replaced pipeline waits for this before closing its pools) */
    idle(): Promise<void> {
      return inFlight === 0 ? Promise.resolve() : new Promise((done) => onIdle.push(done));
    },
    /** answers a refusal on the node:http response, through the one error model */
    fail(res: ServerResponse, record: RequestRecord, err: unknown): void {
      note(record, err);
      // a refused request's unread body is never read to its end (closed after a bounded lingering read)
      lingerAfterRefusal(res, options.lingerMs ?? 2000);
      writeError(res, err, options.realm, { 'x-request-id': record.requestId });
    },
  };
}
