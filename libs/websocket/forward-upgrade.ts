import { createHash } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { GatewayError } from '../errors/index.js';
import { HOP_BY_HOP, connectionScoped, type Upstream } from '../proxy/index.js';
import type { WebSocketRouteConfig } from '../config/websocket-schema.js';
import { startTunnel } from './tunnel.js';

export interface UpgradeForward {
  upstream: Upstream;
  /** the canonical target, as authorized */
  path: string;
  /** forwardHeaders' output: the gateway's credential, never the client's; Sec-WebSocket-* passed through */
  headers: OutgoingHttpHeaders;
  /** added to the upstream's answer (request id, RateLimit) */
  responseHeaders: Readonly<Record<string, string>>;
  websocket: WebSocketRouteConfig;
  /** the token's `exp` (seconds): the tunnel does not outlive it */
  tokenExp: unknown;
  onResponse(): void;
  /** the 101 went out: the tunnel starts */
  onSwitched(): void;
  onError(err: GatewayError): void;
  /** how the tunnel ended (for the request's log line) */
  onEnd(how: string): void;
}

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function answerHeaders(upstream: IncomingMessage['headers'], added: Readonly<Record<string, string>>): OutgoingHttpHeaders {
  const scoped = connectionScoped(upstream.connection);
  const out: OutgoingHttpHeaders = {};
  for (const name in upstream) if (!HOP_BY_HOP.has(name) && !scoped?.has(name)) out[name] = upstream[name];
  for (const name in added) out[name] = added[name];
  return out;
}

/**
 * The last step of an authorized WebSocket upgrade: the upgrade request goes
 * upstream (a connection of its own); a 101 whose `Sec-WebSocket-Accept`
 * answers the client's key is relayed and the two sockets are joined
 * (startTunnel: size limits, lifetime = min(maxLifetimeSeconds, token exp));
 * any other answer (the next hop's own refusal) is relayed as a response.
 */
export function forwardUpgrade(req: IncomingMessage, res: ServerResponse, forward: UpgradeForward): void {
  const headers = { ...forward.headers, connection: 'upgrade', upgrade: 'websocket' };
  const key = req.headers['sec-websocket-key'];
  forward.upstream.upgrade({ path: forward.path, headers }, {
    onUpgrade(answer, socket, head) {
      const client = req.socket as Socket;
      if (client.destroyed) { socket.destroy(); return; } // the client left while the upstream answered
      const accept = createHash('sha1').update(`${key}${GUID}`).digest('base64');
      if (answer.headers['sec-websocket-accept'] !== accept || answer.headers.upgrade?.toLowerCase() !== 'websocket') {
        socket.destroy();
        forward.onError(new GatewayError('upstream_unavailable', 'the upstream did not complete the WebSocket handshake', { reason: 'websocket_bad_handshake' }));
        return;
      }
      forward.onResponse();
      res.writeHead(101, { ...answerHeaders(answer.headers, forward.responseHeaders), connection: 'Upgrade', upgrade: 'websocket' });
      res.end();
      forward.onSwitched();
      const byLifetime = Date.now() + forward.websocket.maxLifetimeSeconds * 1000;
      const byToken = typeof forward.tokenExp === 'number' ? forward.tokenExp * 1000 : Number.POSITIVE_INFINITY;
      startTunnel({
        client, upstream: socket, upstreamHead: head, maxMessageBytes: forward.websocket.maxMessageBytes,
        closeAt: Math.min(byLifetime, byToken), idleMs: forward.websocket.idleTimeoutSeconds * 1000,
        closeReason: byToken < byLifetime ? 'the access token expired' : 'the connection reached its maximum lifetime',
        onEnd: forward.onEnd,
      });
    },
    onResponse(answer) {
      forward.onResponse();
      res.writeHead(answer.statusCode ?? 502, answerHeaders(answer.headers, forward.responseHeaders));
      answer.pipe(res);
    },
    onError: forward.onError,
  });
}
