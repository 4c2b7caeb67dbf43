import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Pool } from 'undici';
import type { Readable } from 'node:stream';
import { GatewayError, isGatewayError } from '../errors/index.js';
import { createConcurrencyGate, type Release } from '../throttle/index.js';
import { createResponseHandler } from './response-handler.js';
import { upstreamTlsError, upstreamTlsOptions } from './upstream-tls.js';
import type { UpstreamTlsConfig } from '../config/tls-schema.js';
import { requestUpgrade, type UpgradeHandlers, type UpgradeTarget } from './upgrade-upstream.js';

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** until the response headers arrive, and the longest pause inside a response body */
  responseTimeoutMs: number;
  maxSockets: number;
  /** the longest a request waits for a free socket (→ 503 with Retry-After) */
  queueTimeoutMs?: number;
  /** requests allowed to wait for a socket (more → 503 at once) */
  maxQueued?: number;
  /** for an https origin: CA, client certificate, expected name (libs/proxy/upstream-tls.ts) */
  tls?: UpstreamTlsConfig | undefined;
}

export interface ForwardTarget {
  /** path and query to request upstream */
  path: string;
  headers: OutgoingHttpHeaders;
  /** response headers added to what the upstream sends */
  responseHeaders?: Readonly<Record<string, string>>;
  /** called when the upstream's response headers arrive */
  onResponse?: () => void;
  /** the body to send (e.g. the request through a guard); default: the request itself when it has a body */
  body?: Readable | null;
}

export interface Upstream {
  readonly origin: string;
  /**
   * Streams the request to the upstream and its response straight into the
   * Node response. A failure before anything was sent reaches `onError` as a
   * GatewayError (502/504) for the caller to answer with; a failure after
   * that cuts the response.
   */
  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, onError: (err: GatewayError) => void): void;
  /** a WebSocket upgrade, on a connection of its own with the pool's TLS options (libs/websocket) */
  upgrade(target: UpgradeTarget, handlers: UpgradeHandlers): void;
  /** requests waiting for a socket */
  readonly queued: number;
  close(): Promise<void>;
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS']);
const STALE_SOCKET = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

function toGatewayError(err: Error & { code?: string }, https: boolean): GatewayError {
  if (isGatewayError(err)) return err; // the request body's own failure (guardBody): too large, too slow
  const code = err.code ?? 'error';
  const tls = https ? upstreamTlsError(err) : undefined;
  if (tls) return tls;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new GatewayError('upstream_timeout', undefined, { reason: 'response_timeout', cause: err });
  }
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new GatewayError('upstream_unavailable', 'the upstream service could not be reached in time', { reason: 'connect_timeout', cause: err });
  }
  return new GatewayError('upstream_unavailable', undefined, { reason: code.toLowerCase(), cause: err });
}

/**
 * A keep-alive connection pool to one upstream origin. Forwarding uses
 * undici's `Pool.stream()` writing straight into the Node response: the
 * forwarding benchmark (test/bench/forwarding-bench.ts) measured it ahead of
 * a `node:http` pipe.
 */
export function createUpstream(origin: string, options: UpstreamOptions): Upstream {
  const url = new URL(origin);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`only http and https upstreams are supported, got ${url.protocol}`);
  const tls = url.protocol === 'https:' ? upstreamTlsOptions(options.tls) : undefined;
  const pool = new Pool(url.origin, {
    connections: options.maxSockets,
    pipelining: 1,
    connect: { timeout: options.connectTimeoutMs, ...tls },
    headersTimeout: options.responseTimeoutMs,
    bodyTimeout: options.responseTimeoutMs,
  });
  const https = url.protocol === 'https:';
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  // the pool's queue, bounded in length and in wait: undici's own queue waits forever
  const sockets = createConcurrencyGate({ max: options.maxSockets, queue: options.maxQueued ?? 1024, maxWaitMs: options.queueTimeoutMs ?? 5000 });
  const busy = (err: unknown): GatewayError => (isGatewayError(err)
    ? new GatewayError('overloaded', 'the upstream is at capacity, retry shortly', { retryAfter: err.retryAfter ?? 1, reason: `upstream_${err.reason ?? 'busy'}` })
    : toGatewayError(err as Error, https));

  function attempt(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, onError: (err: GatewayError) => void, retriesLeft: number, body: Readable | null, release: Release): void {
    const handler = createResponseHandler({
      res, added: target.responseHeaders, onResponse: target.onResponse,
      onDone(err) {
        if (!err) { release(); return; }
        // the client left (the handler aborted the upstream request): nobody to answer
        if (res.destroyed) { release(); return; }
        // the upstream failed mid-response: the client's response is cut (the error model destroys it), and the
        // failure is the upstream's, recorded as such — not a client that went away (499)
        if (res.headersSent) { release(); onError(toGatewayError(err, https)); return; }
        if (retriesLeft > 0 && STALE_SOCKET.has(err.code ?? '')) {
          // a pooled keep-alive socket the upstream had already closed: safe to retry a request without a body
          queueMicrotask(() => attempt(req, res, target, onError, retriesLeft - 1, body, release));
          return;
        }
        release();
        onError(toGatewayError(err, https));
      },
    });
    // a body that fails (too large, too slow: guardBody) ends the exchange, as undici's stream() did
    if (body) body.once('error', (err) => handler.onError!(err));
    pool.dispatch({ path: basePath + target.path, method: (req.method ?? 'GET') as 'GET', headers: target.headers as Record<string, string>, body }, handler);
  }

  return {
    origin: url.origin,
    forward(req, res, target, onError) {
      const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      const body = target.body !== undefined ? target.body : hasBody ? req : null;
      const retries = body === null && IDEMPOTENT.has(req.method ?? '') ? 1 : 0;
      let slot: Release | Promise<Release>;
      try { slot = sockets.enter(); } catch (err) { onError(busy(err)); return; }
      if (!(slot instanceof Promise)) { attempt(req, res, target, onError, retries, body, slot); return; }
      slot.then((release) => {
        if (res.destroyed) { release(); return; } // the client left while queued
        attempt(req, res, target, onError, retries, body, release);
      }, (err: unknown) => onError(busy(err)));
    },
    upgrade(target, handlers) {
      requestUpgrade(url, basePath, { connectTimeoutMs: options.connectTimeoutMs, responseTimeoutMs: options.responseTimeoutMs, tls }, target, handlers);
    },
    get queued() { return sockets.queued; },
    close: () => pool.close(),
  };
}
