import { Agent, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { GatewayError } from '../errors/index.js';
import { HOP_BY_HOP, connectionScoped } from './hop-by-hop.js';

export interface UpstreamOptions {
  connectTimeoutMs: number;
  /** until the response headers arrive */
  responseTimeoutMs: number;
  maxSockets: number;
}

export interface ForwardTarget {
  /** path and query to request upstream */
  path: string;
  headers: OutgoingHttpHeaders;
  /** response headers added to what the upstream sends */
  responseHeaders?: Readonly<Record<string, string>>;
}

export interface Upstream {
  readonly origin: string;
  /**
   * Streams the request to the upstream and its response back. Resolves once
   * the response has started; rejects with a GatewayError (502/504) when
   * nothing was sent yet. A failure after that point cuts the response.
   */
  forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget): Promise<void>;
  close(): void;
}

const IDEMPOTENT_WITHOUT_BODY = new Set(['GET', 'HEAD', 'OPTIONS']);

class UpstreamTimeout extends Error {
  constructor(readonly phase: 'connect' | 'response') { super(`upstream ${phase} timeout`); }
}

function toGatewayError(err: unknown): GatewayError {
  if (err instanceof UpstreamTimeout) {
    return err.phase === 'connect'
      ? new GatewayError('upstream_unavailable', 'the upstream service could not be reached in time', { reason: 'connect_timeout', cause: err })
      : new GatewayError('upstream_timeout', undefined, { reason: 'response_timeout', cause: err });
  }
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new GatewayError('upstream_unavailable', undefined, { reason: code.toLowerCase(), cause: err });
}

function responseHeaders(upstream: IncomingMessage, added: Readonly<Record<string, string>> | undefined): OutgoingHttpHeaders {
  const scoped = connectionScoped(upstream.headers.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream.headers) {
    if (HOP_BY_HOP.has(name) || scoped?.has(name)) continue;
    out[name] = upstream.headers[name];
  }
  if (added) for (const name in added) out[name] = added[name];
  return out;
}

/**
 * A keep-alive connection pool to one upstream origin, forwarding with plain
 * `node:http` streams (the fastest path measured here; see the benchmark).
 */
export function createUpstream(origin: string, options: UpstreamOptions): Upstream {
  const url = new URL(origin);
  if (url.protocol !== 'http:') throw new TypeError(`only http upstreams are supported, got ${url.protocol}`);
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: Math.min(options.maxSockets, 256), scheduling: 'lifo' });
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || 80);
  const basePath = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');

  function attempt(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, retriesLeft: number): Promise<void> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const upReq = request({ hostname, port, agent, method: req.method, path: basePath + target.path, headers: target.headers });
      const responseTimer = setTimeout(() => upReq.destroy(new UpstreamTimeout('response')), options.responseTimeoutMs);
      const onClientClose = () => { if (!res.writableFinished) upReq.destroy(); };
      res.once('close', onClientClose);

      upReq.once('socket', (socket) => {
        if (!socket.connecting) return;
        const connectTimer = setTimeout(() => upReq.destroy(new UpstreamTimeout('connect')), options.connectTimeoutMs);
        socket.once('connect', () => clearTimeout(connectTimer));
        socket.once('close', () => clearTimeout(connectTimer));
      });

      upReq.once('response', (upRes) => {
        clearTimeout(responseTimer);
        settled = true;
        res.writeHead(upRes.statusCode ?? 502, responseHeaders(upRes, target.responseHeaders));
        upRes.pipe(res);
        upRes.once('error', () => res.destroy());
        upRes.once('aborted', () => res.destroy());
        resolve();
      });

      upReq.once('error', (err) => {
        clearTimeout(responseTimer);
        res.off('close', onClientClose);
        if (settled) { res.destroy(); return; }
        settled = true;
        const stale = upReq.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET';
        if (stale && retriesLeft > 0 && !res.destroyed) {
          // a pooled keep-alive socket the upstream had already closed: safe to retry a request without a body
          attempt(req, res, target, retriesLeft - 1).then(resolve, reject);
          return;
        }
        reject(toGatewayError(err));
      });

      const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      if (hasBody) req.pipe(upReq);
      else upReq.end();
    });
  }

  return {
    origin: url.origin,
    forward(req, res, target) {
      const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
      return attempt(req, res, target, !hasBody && IDEMPOTENT_WITHOUT_BODY.has(req.method ?? '') ? 1 : 0);
    },
    close() { agent.destroy(); },
  };
}
