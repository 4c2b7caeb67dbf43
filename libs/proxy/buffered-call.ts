import { getGlobalDispatcher, type Dispatcher } from 'undici';

/** where a call goes: an origin and the path (with its query) on it */
export interface CallTarget {
  readonly origin: string;
  readonly path: string;
}

/** a URL as a call's target (parsed once, where the URL is fixed) */
export function callTarget(url: string | URL): CallTarget {
  const { origin, pathname, search } = typeof url === 'string' ? new URL(url) : url;
  return { origin, path: pathname + search };
}

export interface CallRequest {
  method: string;
  headers: Readonly<Record<string, string>>;
  body?: string | undefined;
}

export interface CallOptions {
  /** the whole exchange, the answer's body included (with a `signal` instead, the signal bounds it) */
  timeoutMs?: number | undefined;
  /** ends the call with the signal's reason (a `fetch`-shaped caller's timeout) */
  signal?: AbortSignal | undefined;
  /** the most bytes of body kept; more fails the call with an AnswerTooLargeError */
  maxBytes?: number | undefined;
  /** the connections to use (an Agent or Pool with the peer's TLS options and bounds); default: undici's global one */
  dispatcher?: Dispatcher | undefined;
}

export interface BufferedAnswer {
  status: number;
  /** names and values in turn, as they came (undici hands Buffers) */
  rawHeaders: readonly Buffer[];
  body: Buffer;
}

/** an answer whose body passed `maxBytes` (its status kept: a refusal with a large page is still a refusal) */
export class AnswerTooLargeError extends Error {
  readonly code = 'ANSWER_TOO_LARGE';
  constructor(readonly status: number) {
    super('the answer is too large');
    this.name = 'AnswerTooLargeError';
  }
}

/** what a call that timed out rejects with: the reason `AbortSignal.timeout` gives (callers tell a timeout by its name) */
export const timeoutError = (): Error => new DOMException('The operation was aborted due to timeout', 'TimeoutError');

/** the first value of a header in raw headers (names compared without case), as latin1 text */
export function rawHeader(raw: readonly Buffer[], name: string): string | undefined {
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === name.length && raw[i]!.toString('latin1').toLowerCase() === name) return raw[i + 1]!.toString('latin1');
  }
  return undefined;
}

/** statuses a Response may not carry a body with */
export const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/** an answer as a WHATWG Response (for code that reads one: oauth4webapi) */
export function responseOf(answer: BufferedAnswer): Response {
  const headers = new Headers();
  const raw = answer.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!.toString('latin1'), raw[i + 1]!.toString('latin1'));
  return new Response(NULL_BODY_STATUSES.has(answer.status) ? null : answer.body, { status: answer.status, headers });
}

/**
 * One HTTP exchange whose answer is read whole into memory (bounded): the
 * gateway's own calls to its dependencies (token introspection, a policy
 * decision point). One undici dispatch and a handler that collects the body,
 * and one plain timer that aborts it: undici's `request()` builds a body
 * stream, an AsyncResource and parsed headers per call, and an
 * `AbortSignal.timeout` keeps its timer and signal alive for the whole
 * timeout after the call is over (thousands at once under load). Measured in
 * one process against a local JSON server (20 000 calls, 20 at a time, three
 * rounds, the server's share included): 101–182 µs of CPU per call that way,
 * 83–88 µs with `request()` and no signal, 60–73 µs this way; at the edge, a
 * cold token (introspection, signature) 340–425 µs against 453–600 µs (ad-hoc,
 * 3 alternating pairs).
 * A network failure rejects with undici's error; the timeout with a
 * `TimeoutError` (timeoutError()), an aborted `signal` with its reason,
 * whether the call was sent or still waited for a connection (then it is
 * never sent).
 */
export function bufferedCall(target: CallTarget, request: CallRequest, options: CallOptions): Promise<BufferedAnswer> {
  const dispatcher = options.dispatcher ?? getGlobalDispatcher();
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const { signal } = options;
  return new Promise<BufferedAnswer>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return; }
    let abort: ((err: Error) => void) | undefined;
    let status = 0;
    let rawHeaders: Buffer[] = [];
    // the first chunk as undici hands it (the whole body, most often); from a second one on, one growing copy:
    // a body sent as many small chunks (chunked framing allows one byte each) would otherwise keep an object per chunk
    let body: Buffer | undefined;
    let copied = false;
    let bytes = 0;
    let settled = false;
    const end = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: Error) => {
      if (settled) return;
      end();
      reject(err);
    };
    const stop = (err: Error) => {
      abort?.(err);
      fail(err);
    };
    const onAbort = () => stop(signal!.reason as Error);
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => stop(timeoutError()), options.timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
    const handler = {
      onConnect(abortRequest: (err: Error) => void) {
        // timed out (or aborted) while waiting for a connection: not sent at all. Thrown, not abortRequest(): undici
        // then drops the call before writing it and keeps the connection (an abort would close it for the calls behind)
        if (settled) throw timeoutError();
        abort = abortRequest;
      },
      onHeaders(statusCode: number, raw: Buffer[]) {
        if (statusCode < 200) return true; // 1xx: the final answer follows
        status = statusCode;
        rawHeaders = raw;
        return true;
      },
      onData(chunk: Buffer) {
        const total = bytes + chunk.length;
        if (total > maxBytes) { stop(new AnswerTooLargeError(status)); return false; }
        if (body === undefined) body = chunk;
        else {
          if (!copied || total > body.length) {
            const grown = Buffer.allocUnsafe(Math.min(maxBytes, Math.max(total, 2 * body.length)));
            body.copy(grown, 0, 0, bytes);
            body = grown;
            copied = true;
          }
          chunk.copy(body, bytes);
        }
        bytes = total;
        return true;
      },
      onComplete() {
        if (settled) return;
        end();
        resolve({ status, rawHeaders, body: body === undefined ? Buffer.alloc(0) : copied ? body.subarray(0, bytes) : body });
      },
      onError: fail,
    };
    dispatcher.dispatch({ origin: target.origin, path: target.path, method: request.method as Dispatcher.HttpMethod, headers: request.headers as Record<string, string>, body: request.body ?? null }, handler as unknown as Dispatcher.DispatchHandler);
  });
}
