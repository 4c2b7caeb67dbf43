import { createServer as createHttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import type { Hono } from 'hono';
import type { Logger } from 'pino';
import { GatewayError, toErrorResponse, writeError } from '../errors/index.js';
import { createH2Server, type TlsListener } from '../tls/index.js';

export interface ServerOptions {
  host: string;
  port: number;
  maxHeaderBytes: number;
  keepAliveTimeoutMs: number;
  headersTimeoutMs: number;
  realm: string;
  /** serve HTTPS with these certificates (libs/tls) */
  tlsListener?: TlsListener | undefined;
}

export interface RunningServer {
  server: Server;
  url: string;
  /** serve with another app and data path from the next request on (configuration reload) */
  swap(app: Hono<any>, dataPath?: (req: IncomingMessage, res: ServerResponse) => boolean): void;
  /** stop accepting, let in-flight requests finish (at most drainMs), close idle keep-alive sockets */
  close(drainMs?: number): Promise<void>;
}

/** Writes an error on a raw socket, for requests Node rejects before any handler runs. */
function writeRawError(socket: Socket, error: GatewayError, realm: string): void {
  const { status, headers, body } = toErrorResponse(error, realm);
  const head = [`HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : 'Bad Request'}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    `content-length: ${Buffer.byteLength(body)}`, 'connection: close', '', ''].join('\r\n');
  socket.end(head + body);
}

/**
 * Serves a Hono app, with an optional data path in front of it: `dataPath`
 * answers the gateway's traffic straight on node:http and returns true, or
 * returns false to leave the request to the Hono app (well-known endpoints,
 * everything else). The benchmark measured Hono's request/response wrapping
 * at about a tenth of a hop's CPU, so the data path skips it.
 */
export function startServer(app: Hono<any>, options: ServerOptions, logger: Logger, dataPath?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<RunningServer> {
  let honoListener = getRequestListener(app.fetch, { autoCleanupIncoming: false });
  let handle = dataPath;
  const httpOptions = { maxHeaderSize: options.maxHeaderBytes, keepAliveTimeout: options.keepAliveTimeoutMs, headersTimeout: options.headersTimeoutMs, requestTimeout: 0 };
  const tls = options.tlsListener;
  const peerAllowed = tls?.peerAllowed;
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    // mutual TLS with an allow-list: a client certificate without an allowed identity is refused before any token work
    if (peerAllowed && !peerAllowed(req.socket as TLSSocket)) { writeError(res, new GatewayError('peer_not_allowed', undefined, { reason: 'client_certificate' }), options.realm, req.httpVersionMajor === 2 ? undefined : { connection: 'close' }); return; }
    if (!handle?.(req, res)) void honoListener(req, res);
  };
  const server: Server = tls?.http2 ? createH2Server({ ...tls.serverOptions, maxHeaderBytes: options.maxHeaderBytes }, listener)
    : tls ? createHttpsServer({ ...httpOptions, ...tls.serverOptions }, listener) : createServer(httpOptions, listener);
  if (tls) tls.attach(server as import('node:https').Server);

  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || (err.code === 'ECONNRESET')) { socket.destroy(); return; }
    const error = err.code === 'HPE_HEADER_OVERFLOW'
      ? new GatewayError('header_too_large')
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
        swap(nextApp, nextDataPath) {
          honoListener = getRequestListener(nextApp.fetch, { autoCleanupIncoming: false });
          handle = nextDataPath;
        },
        close(drainMs = 10_000) {
          return new Promise((done) => {
            const force = setTimeout(() => { server.closeAllConnections(); }, drainMs);
            force.unref();
            server.close(() => { clearTimeout(force); done(); });
            server.closeIdleConnections();
            // connections that become idle after their in-flight request finishes are closed too
            server.on('request', (req: IncomingMessage, res) => { if (req.httpVersionMajor < 2) res.setHeader('connection', 'close'); });
          });
        },
      });
    });
  });
}
