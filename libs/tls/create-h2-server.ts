import { createSecureServer, type Http2ServerRequest, type Http2Session, type SecureServerOptions } from 'node:http2';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';

const PSEUDO = [':method', ':path', ':scheme', ':authority', ':protocol'];

/**
 * Gives an HTTP/2 request the shape the data path reads on HTTP/1.1: `Host`
 * from `:authority`, no pseudo-headers among the headers to forward, and a
 * body that has no Content-Length marked as chunked so it is streamed on
 * (HTTP/2 frames bodies itself). Runs once per HTTP/2 request.
 */
function asHttp1Shape(req: Http2ServerRequest): void {
  const headers = req.headers as Record<string, string | string[] | undefined>;
  if (headers.host === undefined && typeof headers[':authority'] === 'string') headers.host = headers[':authority'];
  // url and method read the pseudo-headers: keep their values on the request before the pseudo-headers go
  Object.defineProperty(req, 'url', { value: req.url, writable: true, configurable: true });
  Object.defineProperty(req, 'method', { value: req.method, writable: true, configurable: true });
  for (const name of PSEUDO) delete headers[name];
  if (!req.stream.endAfterHeaders && headers['content-length'] === undefined) headers['transfer-encoding'] = 'chunked';
}

/**
 * An HTTPS listener that speaks HTTP/2 to clients that offer `h2` in ALPN and
 * HTTP/1.1 to the others, through the same request listener (Node's HTTP/2
 * compatibility API). `closeIdleConnections` sends every HTTP/2 session a
 * GOAWAY (streams in flight finish); `closeAllConnections` destroys them and
 * the HTTP/1.1 connections, so
 * the caller drains it like an http.Server.
 */
export function createH2Server(options: SecureServerOptions & { maxHeaderBytes: number }, listener: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const sessions = new Set<Http2Session>();
  const server = createSecureServer({ ...options, allowHTTP1: true, settings: { maxHeaderListSize: options.maxHeaderBytes } }, (req, res) => {
    if (req.httpVersionMajor === 2) asHttp1Shape(req);
    listener(req as unknown as IncomingMessage, res as unknown as ServerResponse);
  });
  const http1 = new Set<TLSSocket>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    http1.add(socket);
    socket.once('close', () => http1.delete(socket));
  });
  return Object.assign(server, {
    closeIdleConnections() { for (const s of sessions) s.close(); },
    closeAllConnections() { for (const s of sessions) s.destroy(); for (const s of http1) s.destroy(); },
  }) as unknown as Server;
}
