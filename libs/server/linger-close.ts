import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hasBody } from './body-guard.js';

/** connections being closed after a refusal: a request pipelined behind the refusal is not served (see isClosing) */
const closing = new WeakSet<object>();

/** true when this request arrived on a connection that a refusal is closing: it gets no answer and no work */
export function isClosing(socket: object): boolean {
  return closing.has(socket);
}

/** the most of an unread body read (and discarded) after a refusal; then reading stops */
export const LINGER_BYTES = 256 * 1024;

/**
 * For a refusal whose request body was not (all) read: the answer goes out
 * with `Connection: close`; then the socket's write side is shut (FIN), and
 * at most LINGER_BYTES of what the client still sends are drained for at
 * most `lingerMs`, so the client can read the answer before the socket
 * closes, and the gateway never reads gigabytes for a request it refused.
 * Call before the response is written. A request read to its end is left
 * alone (its connection stays reusable).
 */
export function lingerAfterRefusal(res: ServerResponse, lingerMs: number): void {
  const req = res.req;
  // a request without a body has nothing left to read (its connection stays reusable); `complete` is
  // not set yet while the request handler runs for it
  if (!req || req.complete || !hasBody(req) || res.headersSent) return;
  res.setHeader('connection', 'close');
  const socket = req.socket as Socket & { destroySoon?: () => void };
  closing.add(socket);
  let drained = 0;
  const drain = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) { req.off('data', drain); req.pause(); }
  };
  req.on('data', drain);
  req.resume();
  // node:http ends a `Connection: close` response with socket.destroySoon() (destroy once flushed);
  // here the socket half-closes instead and is destroyed after the bounded lingering read
  socket.destroySoon = () => {
    socket.end();
    if (lingerMs === 0) { socket.destroy(); return; }
    setTimeout(() => socket.destroy(), lingerMs).unref();
  };
}
