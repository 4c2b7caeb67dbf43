import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/index.js';
import type { WebSocketRouteConfig } from '../config/websocket-schema.js';

const hasToken = (value: string | undefined, token: string) => value?.toLowerCase().split(',').some((t) => t.trim() === token) === true;

/** requests that came in through the server's 'upgrade' event, with the bytes read past their head */
const upgrades = new WeakMap<IncomingMessage, Buffer>();

/** Notes an HTTP/1.1 upgrade request (start-server's 'upgrade' listener); the data path then treats it as one. */
export function markUpgrade(req: IncomingMessage, head: Buffer): void {
  upgrades.set(req, head);
}

/** true for an upgrade to WebSocket (other protocols, such as h2c, are not tunnelled) */
export function wantsWebSocket(req: IncomingMessage): boolean {
  return hasToken(req.headers.upgrade, 'websocket');
}

/** true for a WebSocket upgrade request (it has a raw socket, no keep-alive response) */
export function isUpgrade(req: IncomingMessage): boolean {
  return upgrades.has(req);
}

const KEY = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Refuses an upgrade this route or RFC 6455 §4.1 does not allow, before any
 * token work: a route without `websocket` → 400 `websocket_not_enabled`;
 * anything but a well-formed WebSocket handshake (GET, HTTP/1.1,
 * `Upgrade: websocket`, a 16-byte `Sec-WebSocket-Key`, version 13), a body,
 * or bytes sent before the answer → 400 `bad_request`.
 */
export function checkUpgrade(req: IncomingMessage, websocket: WebSocketRouteConfig | undefined): void {
  if (!websocket?.enabled) throw new GatewayError('websocket_not_enabled', undefined, { reason: 'websocket_not_enabled' });
  const h = req.headers;
  const refuse = (why: string, reason: string) => { throw new GatewayError('bad_request', `not a valid WebSocket handshake: ${why}`, { reason }); };
  if (req.method !== 'GET' || req.httpVersion !== '1.1') refuse('an upgrade is a GET over HTTP/1.1', 'websocket_method');
  if (!hasToken(h.upgrade, 'websocket')) refuse('only Upgrade: websocket is tunnelled', 'websocket_protocol');
  if (h['sec-websocket-version'] !== '13') refuse('Sec-WebSocket-Version must be 13', 'websocket_version');
  if (typeof h['sec-websocket-key'] !== 'string' || !KEY.test(h['sec-websocket-key'])) refuse('Sec-WebSocket-Key must be 16 bytes in base64', 'websocket_key');
  // bytes behind the head would reach the upstream before it agreed to switch (request smuggling if it refuses)
  if (h['content-length'] !== undefined || h['transfer-encoding'] !== undefined || (upgrades.get(req)?.length ?? 0) > 0) {
    refuse('no body and no data before the 101 answer', 'websocket_early_data');
  }
}
