import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { GatewayError } from '../errors/index.js';

export interface BodyLimits {
  /** the default largest body; a route may set its own */
  maxBodyBytes: number;
  /** the longest pause between two pieces of a body */
  bodyIdleTimeoutMs: number;
  /** the whole request, from its arrival (0 = no limit) */
  requestTimeoutMs: number;
}

/** Node's own test for `Expect: 100-continue` (lib/_http_server.js) */
const CONTINUE = /(?:^|\W)100-continue(?:$|\W)/i;

/** Whether the request announces a body (a Content-Length other than 0, or any Transfer-Encoding). */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Refuses a declared Content-Length above the limit before a byte of the body
 * is read (413). A chunked body is counted while it streams (guardBody).
 */
export function checkDeclaredLength(req: IncomingMessage, maxBodyBytes: number): void {
  // RFC 9112 §6.1: a transfer coding the gateway does not handle is a 501; Node accepts `gzip, chunked` and drops
  // the gzip, so the upstream would read gzip-coded bytes as plain ones
  const coding = req.headers['transfer-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'chunked') {
    throw new GatewayError('unsupported_transfer_coding', undefined, { reason: 'transfer_coding' });
  }
  const length = req.headers['content-length'];
  if (length !== undefined && Number(length) > maxBodyBytes) {
    throw new GatewayError('payload_too_large', `the request body is larger than ${maxBodyBytes} bytes`, { reason: 'content_length' });
  }
}

/** Counts a body as it streams and bounds its pauses and its end; fails the stream with a GatewayError. */
class BodyGuard extends Transform {
  private seen = 0;
  private readonly idle: NodeJS.Timeout;
  private readonly whole: NodeJS.Timeout | undefined;

  constructor(private readonly maxBytes: number, idleMs: number, wholeMs: number) {
    super();
    this.idle = setTimeout(() => this.fail('request_timeout', 'the request body stalled', 'body_idle_timeout'), idleMs);
    this.whole = wholeMs > 0 ? setTimeout(() => this.fail('request_timeout', 'the request took too long to arrive', 'request_timeout'), wholeMs) : undefined;
  }

  private fail(code: 'request_timeout' | 'payload_too_large', description: string, reason: string): void {
    this.stop();
    this.destroy(new GatewayError(code, description, { reason }));
  }

  private stop(): void {
    clearTimeout(this.idle);
    if (this.whole) clearTimeout(this.whole);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.maxBytes) {
      this.fail('payload_too_large', `the request body is larger than ${this.maxBytes} bytes`, 'body_too_large');
      done();
      return;
    }
    this.idle.refresh();
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    this.stop();
    done();
  }

  override _destroy(err: Error | null, done: (error: Error | null) => void): void {
    this.stop();
    done(err);
  }
}

/**
 * The body to forward, once the request is authorized: null without a body;
 * otherwise the request streamed through a guard that counts it against
 * `maxBodyBytes` (a chunked body over it → 413, the upstream request is
 * aborted, the backend never gets the whole body) and bounds its pauses and
 * its total time (408). A client waiting on `Expect: 100-continue` gets its
 * `100 Continue` here, after authentication and authorization — never for a
 * request that is refused.
 */
export function guardBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits, maxBodyBytes: number, startedAt: number): Transform | null {
  if (!hasBody(req)) return null;
  const elapsed = performance.now() - startedAt;
  const guard = new BodyGuard(maxBodyBytes, limits.bodyIdleTimeoutMs, limits.requestTimeoutMs > 0 ? Math.max(1, limits.requestTimeoutMs - elapsed) : 0);
  // a guard that fails stops reading the request; what is left is the refusal's to drain (lingerAfterRefusal)
  guard.on('error', () => { req.unpipe(guard); });
  req.on('close', () => { if (!req.complete) guard.destroy(new GatewayError('bad_request', 'the client went away', { reason: 'client_aborted' })); });
  req.pipe(guard);
  const expect = req.headers.expect;
  if (expect !== undefined && req.httpVersion === '1.1' && CONTINUE.test(expect)) res.writeContinue();
  return guard;
}
