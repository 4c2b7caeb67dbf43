import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import { GatewayError } from '../errors/index.js';
import { upstreamTlsError } from './upstream-tls.js';

export interface UpgradeTarget {
  /** path and query to request upstream */
  path: string;
  /** the headers to send, `Connection: upgrade` and `Upgrade` included */
  headers: OutgoingHttpHeaders;
}

export interface UpgradeHandlers {
  /** the upstream switched protocols (101): its answer, socket and the bytes it sent past the head */
  onUpgrade(answer: IncomingMessage, socket: Socket, head: Buffer): void;
  /** the upstream answered without switching (a refusal of its own, e.g. 401, 403, 429): relay it as a response */
  onResponse(answer: IncomingMessage): void;
  onError(err: GatewayError): void;
}

export interface UpgradeOptions {
  connectTimeoutMs: number;
  /** until the upstream's answer to the upgrade arrives */
  responseTimeoutMs: number;
  /** the TLS options of an https upstream (mutual TLS included), as for its pool */
  tls: ConnectionOptions | undefined;
}

function toGatewayError(err: Error & { code?: string }, https: boolean): GatewayError {
  const tls = https ? upstreamTlsError(err) : undefined;
  return tls ?? new GatewayError('upstream_unavailable', undefined, { reason: (err.code ?? 'error').toLowerCase(), cause: err });
}

/**
 * Sends an upgrade request to an upstream on a connection of its own (an
 * upgraded connection never returns to a pool), with the same TLS options
 * as the upstream's pool. Exactly one handler is called.
 */
export function requestUpgrade(origin: URL, basePath: string, options: UpgradeOptions, target: UpgradeTarget, handlers: UpgradeHandlers): void {
  const https = origin.protocol === 'https:';
  const send = https ? httpsRequest : httpRequest;
  let settled = false;
  const settle = () => { if (settled) return false; settled = true; clearTimeout(connectTimer); clearTimeout(answerTimer); return true; };
  const req = send({
    host: origin.hostname.replace(/^\[|\]$/g, ''), port: origin.port || (https ? 443 : 80), path: basePath + target.path,
    method: 'GET', headers: target.headers, agent: false, ...(https ? options.tls : {}),
  });
  const fail = (err: GatewayError) => { if (settle()) { req.destroy(); handlers.onError(err); } };
  const connectTimer = setTimeout(() => fail(new GatewayError('upstream_unavailable', 'the upstream service could not be reached in time', { reason: 'connect_timeout' })), options.connectTimeoutMs);
  const answerTimer = setTimeout(() => fail(new GatewayError('upstream_timeout', undefined, { reason: 'response_timeout' })), options.responseTimeoutMs);
  req.on('socket', (socket: Socket) => {
    socket.once(https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
  });
  req.on('upgrade', (answer: IncomingMessage, socket: Socket, head: Buffer) => {
    if (settle()) handlers.onUpgrade(answer, socket, head); else socket.destroy();
  });
  req.on('response', (answer: IncomingMessage) => {
    if (settle()) handlers.onResponse(answer); else answer.destroy();
  });
  req.on('error', (err) => fail(toGatewayError(err, https)));
  req.end();
}
