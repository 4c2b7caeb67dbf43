import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { closeFrame, decodeFrames, encodeFrame, OPCODE, readClose } from '../../../libs/websocket/index.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/**
 * The demo backend's WebSocket echo (any path): accepts the handshake,
 * picks the first offered subprotocol, sends every data frame back as it
 * came, answers ping with pong and close with close. `onClose` learns the
 * close code a peer sent (the tests read it back: a gateway's 1009 or 1008).
 */
export function acceptEcho(req: IncomingMessage, socket: Socket, onClose: (code: number | undefined, reason: string) => void): void {
  const key = req.headers['sec-websocket-key'];
  if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
    socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    return;
  }
  const protocol = req.headers['sec-websocket-protocol']?.split(',')[0]?.trim();
  socket.write(['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Accept: ${createHash('sha1').update(key + GUID).digest('base64')}`,
    ...(protocol ? [`Sec-WebSocket-Protocol: ${protocol}`] : []), '', ''].join('\r\n'));
  let pending: Buffer = Buffer.alloc(0);
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    const { frames, rest } = decodeFrames(Buffer.concat([pending, chunk]));
    pending = rest;
    for (const frame of frames) {
      if (frame.opcode === OPCODE.close) {
        const { code, reason } = readClose(frame.payload);
        onClose(code, reason);
        socket.end(closeFrame(code ?? 1000, '', false));
        return;
      }
      if (frame.opcode === OPCODE.ping) socket.write(encodeFrame(OPCODE.pong, frame.payload, false));
      else if (frame.opcode !== OPCODE.pong) socket.write(encodeFrame(frame.opcode, frame.payload, false, frame.fin));
    }
  });
}
