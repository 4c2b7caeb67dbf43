import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { STATUS_CODES, ServerResponse, createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Logger } from 'pino';
import { GatewayError, toErrorResponse, writeError } from '../errors/index.js';
import { createH2Server, type TlsListener } from '../tls/index.js';
import { closeAllTunnels, markUpgrade, wantsWebSocket } from '../websocket/index.js';
import { hasBody } from './body-guard.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxHeaderBytes: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  /** the whole request, head and body (0 = no limit); the data path's body guard is the precise bound, this the backstop */
  requestTimeoutMs?: number;
  /** most client connections open at once; more are closed at accept (default: no limit) */
  maxConnections?: number;
  realm: string;
  /** serve HTTPS with these certificates (libs/tls) */
  tlsListener?: TlsListener | undefined;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface RunningServer {
  server: Server;
  url: string;
  /** serve with another handler from the next request on (configuration reload); requests in flight finish on the old one */
  swap(handler: RequestHandler): void;
  /** connections closed at accept because maxConnections were open */
  readonly dropped: number;
  /** stop accepting, let in-flight requests finish (at most drainMs), close idle keep-alive sockets */
  close(drainMs?: number): Promise<void>;
}

/** Writes an error on a raw socket, for requests Node rejects before any handler runs. */
function writeRawError(socket: Socket, error: GatewayError, realm: string): void {
  const { status, headers, body } = toErrorResponse(error, realm);
  const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Bad Request'}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', ''].join('\r\n');
  socket.end(head + body);
}

/**
 * Serves a plain node:http handler (the data path; the benchmark measured
 * Hono's request/response wrapping at about a tenth of a hop's CPU, so the
 * data path skips it). `swap` replaces the handler for the next requests.
 */
export function startServer(handler: RequestHandler, options: ServerOptions, logger: Logger): Promise<RunningServer> {
  let handle = handler;
  let draining = false;
  const tls = options.tlsListener;
  const peerAllowed = tls?.peerAllowed;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    // mutual TLS with an allow-list: a client certificate without an allowed identity is refused before any token work
    if (peerAllowed && !peerAllowed(req.socket as TLSSocket)) { writeError(res, new GatewayError('peer_not_allowed', undefined, { reason: 'client_certificate' }), options.realm, req.httpVersionMajor === 2 ? undefined : { connection: 'close' }); return; }
    // set before any handler can answer: a refusal written synchronously has sent its headers by the time it returns
    if (draining && req.httpVersionMajor < 2) res.shouldKeepAlive = false;
    handle(req, res);
  };
  const httpOptions = {
    maxHeaderSize: options.maxHeaderBytes, keepAliveTimeout: options.keepAliveTimeoutMs, headersTimeout: options.headersTimeoutMs,
    requestTimeout: options.requestTimeoutMs ?? 0, connectionsCheckingInterval: 1000,
  };
  const server: Server = tls?.http2 ? createH2Server({ ...tls.serverOptions, maxHeaderBytes: options.maxHeaderBytes }, onRequest)
    : tls ? createHttpsServer({ ...httpOptions, ...tls.serverOptions }, onRequest) : createServer(httpOptions, onRequest);
  if (tls) tls.attach(server as import('node:https').Server);
  // a bound on sockets (and so on file descriptors and memory) that no client can push past: tunnels and idle keep-alives count
  let dropped = 0;
  if (options.maxConnections) {
    server.maxConnections = options.maxConnections;
    server.on('drop', () => { dropped++; });
  }
  // `Expect: 100-continue`: the data path sends `100 Continue` only once the request is authorized (guardBody)
  server.on('checkContinue', onRequest);

  // an HTTP/1.1 upgrade runs through the same handler with a response on its raw socket: refused like any request
  // (then the connection closes), or answered 101 and tunnelled (libs/websocket)
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => { socket.destroy(); });
    // an upgrade pipelined behind a request still being answered: the socket is that response's (a second one
    // threw ERR_HTTP_SOCKET_ASSIGNED, uncaught: the process died). No client pipelines an upgrade; it gets no
    // answer, and the connection closes once the first response is sent (RFC 9112 §9.3.2: the client retries)
    const busy = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
    if (busy) {
      logger.info({ code: 'bad_request', reason: 'upgrade_pipelined' }, 'request refused');
      if (!busy.headersSent) busy.shouldKeepAlive = false;
      busy.once('finish', () => socket.destroySoon());
      return;
    }
    if (wantsWebSocket(req)) markUpgrade(req, head);
    // another protocol (h2c …): the Upgrade is ignored (RFC 9110 §7.8) and the request served on this connection, which
    // then closes; Node has stopped parsing it, so a body cannot be read
    else if (hasBody(req)) { writeRawError(socket, new GatewayError('bad_request', 'an upgrade to a protocol other than websocket cannot carry a body', { reason: 'upgrade_with_body' }), options.realm); return; }
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    res.on('finish', () => { if (res.statusCode !== 101) socket.destroySoon(); });
    onRequest(req, res);
  });

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const answering = (socket as { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
    if (!socket.writable || answering || (err.code === 'ECONNRESET')) { socket.destroy(); return; }
    const error = err.code === 'HPE_HEADER_OVERFLOW'
      ? new GatewayError('header_too_large')
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new GatewayError('request_timeout')
        : new GatewayError('bad_request', 'the request could not be parsed');
    logger.info({ code: error.code, reason: err.code }, 'request refused');
    writeRawError(socket, error, options.realm);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      const { port, address } = server.address() as AddressInfo;
      const host = address.includes(':') ? `[${address}]` : address;
      const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
      resolve({
        server, url,
        get dropped() { return dropped; },
        swap(next) { handle = next; },
        close(drainMs = 10_000) {
          draining = true;
          closeAllTunnels();
          return new Promise((done) => {
            const force = setTimeout(() => { server.closeAllConnections(); }, drainMs);
            force.unref();
            // a kept-alive connection whose request was in flight when the drain began turns idle when that
            // response ends: close idle connections until none is left (Node has no event for "became idle")
            const sweep = setInterval(() => { server.closeIdleConnections(); }, 50);
            sweep.unref();
            server.close(() => { clearTimeout(force); clearInterval(sweep); done(); });
            server.closeIdleConnections();
          });
        },
      });
    });
  });
}
