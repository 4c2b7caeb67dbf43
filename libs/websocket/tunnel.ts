import type { Socket } from 'node:net';
import { closeFrame } from './frame-codec.js';
import { FrameMeter, type FrameViolation } from './frame-meter.js';

export interface TunnelOptions {
  /** the client's socket, once the 101 answer has been written on it */
  client: Socket;
  /** the upstream's socket, after its 101 answer */
  upstream: Socket;
  /** bytes the upstream sent right after its 101 head */
  upstreamHead: Buffer;
  maxMessageBytes: number;
  /** epoch ms: the tunnel is closed with 1008 then (its lifetime limit, or its token's exp) */
  closeAt: number;
  /** the reason sent in that close frame */
  closeReason: string;
  /** no byte either way for this long: the tunnel is closed with 1001 */
  idleMs: number;
  /** once, when the tunnel ends: `closed` (either side), `lifetime`, `idle`, `message_too_big`, `protocol_error`, `shutdown` */
  onEnd?(how: string): void;
}

export interface Tunnel { close(code: number, reason: string, how: string): void }

/** open tunnels of this process, closed with 1001 when it drains (start-server's close) */
const open = new Set<Tunnel>();

/** Closes every open tunnel (1001 going away): the gateway is shutting down. */
export function closeAllTunnels(reason = 'the gateway is shutting down'): void {
  for (const tunnel of open) tunnel.close(1001, reason, 'shutdown');
}

/** how long a closing side may take to read our close frame before its socket is destroyed */
const CLOSE_GRACE_MS = 1000;
/** setTimeout's largest delay */
const MAX_DELAY = 2_147_483_647;

/**
 * Relays bytes both ways between an upgraded client and upstream, reading
 * only frame headers (FrameMeter): a message over the limit (either
 * direction) closes both sides with 1009, a frame breaking the relay rules
 * with 1002, the lifetime limit with 1008. A close frame goes to a side only
 * at a frame boundary of what it has been sent; otherwise its socket is
 * destroyed. Backpressure is kept: a side that cannot take more pauses the other.
 */
export function startTunnel(options: TunnelOptions): Tunnel {
  const { client, upstream } = options;
  const toUpstream = new FrameMeter(options.maxMessageBytes, true);
  const toClient = new FrameMeter(options.maxMessageBytes, false);
  let closing = false;
  let ended = false;
  const finish = (how: string) => {
    if (ended) return;
    ended = true;
    clearTimeout(timer);
    open.delete(tunnel);
    options.onEnd?.(how);
  };
  const shut = (socket: Socket, frame: Buffer | undefined) => {
    if (socket.destroyed) return;
    if (!frame) { socket.destroy(); return; }
    socket.end(frame);
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  };
  function closeTunnel(code: number, reason: string, how: string, clientClean = toClient.atBoundary, upstreamClean = toUpstream.atBoundary): void {
    if (closing) return;
    closing = true;
    client.pause();
    upstream.pause();
    shut(client, clientClean ? closeFrame(code, reason, false) : undefined);
    shut(upstream, upstreamClean ? closeFrame(code, reason, true) : undefined);
    finish(how);
  }
  const tunnel: Tunnel = { close: (code, reason, how) => closeTunnel(code, reason, how) };
  open.add(tunnel);
  const timer = setTimeout(() => tunnel.close(1008, options.closeReason, 'lifetime'), Math.min(MAX_DELAY, Math.max(0, options.closeAt - Date.now())));
  // every relayed byte is read from one socket and written to the other: the client's socket sees all of the tunnel's traffic
  client.setTimeout(Math.min(MAX_DELAY, options.idleMs), () => tunnel.close(1001, 'the connection was idle for too long', 'idle'));

  const refuse = (v: FrameViolation, fromClient: boolean) => {
    const how = v.code === 1009 ? 'message_too_big' : 'protocol_error';
    // the side the bad frame was headed for got everything before it: it is at a boundary when the frame began in this chunk
    if (fromClient) closeTunnel(v.code, v.reason, how, toClient.atBoundary, v.at >= 0);
    else closeTunnel(v.code, v.reason, how, v.at >= 0, toUpstream.atBoundary);
  };
  const relay = (from: Socket, to: Socket, meter: FrameMeter, fromClient: boolean) => (chunk: Buffer) => {
    if (closing) return;
    const violation = meter.feed(chunk);
    if (violation) {
      if (violation.at > 0) to.write(chunk.subarray(0, violation.at));
      refuse(violation, fromClient);
      return;
    }
    if (!to.write(chunk)) { from.pause(); to.once('drain', () => { if (!closing) from.resume(); }); }
  };

  for (const [from, to, meter, fromClient] of [[client, upstream, toUpstream, true], [upstream, client, toClient, false]] as const) {
    from.setNoDelay(true);
    from.on('data', relay(from, to, meter, fromClient));
    // one side's FIN ends the tunnel: the other side is ended too, and so is this side's (a half-open socket would linger)
    from.on('end', () => { if (!closing) { to.end(); from.end(); } });
    from.on('error', () => { to.destroy(); });
    // a side gone: the other is destroyed, or, when it was already ended, given the grace to flush what it was sent
    from.on('close', () => {
      if (to.writableEnded) setTimeout(() => to.destroy(), CLOSE_GRACE_MS).unref(); else to.destroy();
      finish('closed');
    });
  }
  if (options.upstreamHead.length > 0) relay(upstream, client, toClient, false)(options.upstreamHead);
  // a FIN that came before the tunnel (right behind the upgrade request, or the 101) had its 'end' emitted already:
  // without this the tunnel stayed half-open, holding its sockets and in-flight slot until its lifetime ran out
  for (const [from, to] of [[client, upstream], [upstream, client]] as const) if (from.readableEnded && !closing) { to.end(); from.end(); }
  client.resume();
  upstream.resume();
  return tunnel;
}
