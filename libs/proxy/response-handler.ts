import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { HOP_BY_HOP, connectionScoped } from './hop-by-hop.js';
import { OwnHeaders } from './own-headers.js';

export interface ResponseHandlerOptions {
  res: ServerResponse;
  /** response headers added to (and replacing) what the upstream sends */
  added: Readonly<Record<string, string>> | undefined;
  /** the upstream's response headers arrived */
  onResponse: (() => void) | undefined;
  /** once: the exchange is over; `err` undefined when the response was relayed to its end */
  onDone(err: (Error & { code?: string }) | undefined): void;
}

/** one raw header name or value (undici hands Buffers; latin1 keeps the bytes) */
const text = (v: Buffer | string | string[]): string => (typeof v === 'string' ? v : Array.isArray(v) ? v.join(', ') : v.toString('latin1'));

/**
 * The upstream's headers for the client: lower-case names, repeated ones as
 * arrays (as undici's own parsing gives them), less hop-by-hop and
 * Connection-listed names, then the gateway's own (which replace the upstream's).
 */
export function relayHeaders(raw: readonly (Buffer | string | string[])[], added: Readonly<Record<string, string>> | undefined): OutgoingHttpHeaders {
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!);
    if (name.length === 10 && name.toLowerCase() === 'connection') connection = connection === undefined ? text(raw[i + 1]!) : `${connection},${text(raw[i + 1]!)}`;
  }
  const scoped = connectionScoped(connection);
  const out = new OwnHeaders();
  for (let i = 0; i < raw.length; i += 2) {
    const name = text(raw[i]!).toLowerCase();
    if (HOP_BY_HOP.has(name) || scoped?.has(name) || name === '__proto__' || (added !== undefined && Object.hasOwn(added, name))) continue;
    const value = text(raw[i + 1]!);
    const prior = out[name];
    if (prior === undefined) out[name] = value;
    else if (Array.isArray(prior)) prior.push(value);
    else out[name] = [String(prior), value];
  }
  if (added) for (const name in added) out[name] = added[name];
  return out;
}

/**
 * An undici dispatch handler that relays the upstream's response straight
 * into the Node response. It replaces `Pool.stream()`, whose handler runs
 * every callback in an AsyncResource scope, parses the headers into one
 * object and watches the response with `finished()` (six listeners and a
 * cleanup per request, "an unnecessary amount of listeners" in undici's own
 * words): here one `close` listener and, only under backpressure, one `drain`.
 * The client leaving aborts the upstream request; `onDone` runs once.
 */
export function createResponseHandler(options: ResponseHandlerOptions): Dispatcher.DispatchHandler {
  const { res } = options;
  let abort: ((err?: Error) => void) | undefined;
  let resume: (() => void) | undefined;
  let finished = false;
  const done = (err: (Error & { code?: string }) | undefined) => {
    if (finished) return;
    finished = true;
    res.off('close', onClose);
    options.onDone(err);
  };
  // the client went away before the upstream's response ended: stop it
  const onClose = () => {
    if (finished) return;
    const err = Object.assign(new Error('the client closed the connection'), { code: 'UND_ERR_ABORTED' });
    abort?.(err);
    done(err);
  };
  const onDrain = () => resume?.();
  // from the start, not from the headers on: a client that leaves before the upstream answers must free the
  // upstream socket too (the attacker's pass: with the listener added in onHeaders, such a request held its
  // socket and queue slot until the upstream closed the connection, and one token could fill the pool)
  res.on('close', onClose);
  return {
    onConnect(abortRequest: (err?: Error) => void) {
      abort = abortRequest;
      if (res.destroyed) onClose();
    },
    onHeaders(statusCode: number, raw: Buffer[], resumeRequest: () => void): boolean {
      if (statusCode < 200) return true; // 1xx: the final answer follows
      if (res.destroyed) { onClose(); return false; }
      resume = resumeRequest;
      options.onResponse?.();
      res.writeHead(statusCode, relayHeaders(raw, options.added));
      // a 204 or 304 has no body whatever its head says (RFC 9112 §6.3): answered now. undici checks a 304's
      // Content-Length (which RFC 9110 §8.6 lets a server send) against a body that never comes and fails the
      // exchange; that failure, after this, only closes its upstream socket
      if (statusCode === 204 || statusCode === 304) { res.end(); done(undefined); }
      return res.writableNeedDrain !== true;
    },
    onData(chunk: Buffer): boolean {
      if (res.destroyed) { onClose(); return false; }
      if (res.write(chunk)) return true;
      if (!res.destroyed) res.once('drain', onDrain);
      return false;
    },
    onComplete() {
      if (!finished) res.end();
      done(undefined);
    },
    onError(err: Error & { code?: string }) {
      done(err);
    },
  } as unknown as Dispatcher.DispatchHandler;
}
