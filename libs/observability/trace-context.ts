import { randomFillSync } from 'node:crypto';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

// random ids from a pooled buffer: one getrandom() per 4 KiB instead of one per id
// (per-call randomBytes() showed as 12 % of the edge's CPU under load)
const pool = Buffer.alloc(4096);
let offset = pool.length;
function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) { randomFillSync(pool); offset = 0; }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

export interface TraceContext {
  traceId: string;
  /** the `traceparent` to send upstream: same trace, this hop's own span id */
  traceparent: string;
}

/**
 * W3C Trace Context: continue the caller's trace when its `traceparent` is
 * valid (a new parent-id for this hop), start a new one otherwise.
 * `tracestate` travels on untouched with the other headers, only with a
 * continued trace (see keepsTracestate).
 */
export function continueTrace(header: string | string[] | undefined): TraceContext {
  const m = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  const span = randomHex(8);
  if (m && m[1] !== ZERO_TRACE && m[2] !== ZERO_SPAN) {
    return { traceId: m[1]!, traceparent: `00-${m[1]}-${span}-${m[3]}` };
  }
  const traceId = randomHex(16);
  return { traceId, traceparent: `00-${traceId}-${span}-00` };
}

/**
 * Whether the caller's `tracestate` may travel on: only with the trace it
 * belongs to. A trace started here (no `traceparent`, or an invalid one) drops
 * it (W3C Trace Context: a `tracestate` without a valid `traceparent` is
 * invalid and discarded), so a client cannot attach vendor state, such as a
 * sampling priority, to a trace the gateway started.
 */
export function keepsTracestate(traceparent: string | string[] | undefined, traceId: string): boolean {
  return typeof traceparent === 'string' && traceparent.length === 55 && traceparent.slice(3, 35) === traceId;
}
