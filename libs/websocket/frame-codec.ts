import { randomBytes } from 'node:crypto';

/** RFC 6455 §5.2 opcodes this project names */
export const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

export interface Frame { fin: boolean; opcode: number; payload: Buffer }

/** One frame: unmasked (server → client) or masked with a fresh key (client → server, RFC 6455 §5.3). */
export function encodeFrame(opcode: number, payload: Buffer, masked: boolean, fin = true): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const head = Buffer.alloc(2 + extended + (masked ? 4 : 0));
  head[0] = (fin ? 0x80 : 0) | opcode;
  head[1] = (masked ? 0x80 : 0) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) head.writeUInt16BE(length, 2);
  else if (extended === 8) head.writeBigUInt64BE(BigInt(length), 2);
  if (!masked) return Buffer.concat([head, payload]);
  const key = randomBytes(4);
  key.copy(head, 2 + extended);
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([head, body]);
}

/** A close frame (RFC 6455 §5.5.1): the status code and a short UTF-8 reason (cut to fit 125 bytes). */
export function closeFrame(code: number, reason: string, masked: boolean): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.alloc(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return encodeFrame(OPCODE.close, payload, masked);
}

/**
 * The whole frames at the start of `buffer` (unmasked for reading) and the
 * bytes left over. For the demo backend and the tests; the gateways never
 * decode payloads (libs/websocket/frame-meter.ts reads headers only).
 */
export function decodeFrames(buffer: Buffer): { frames: Frame[]; rest: Buffer } {
  const frames: Frame[] = [];
  let at = 0;
  for (;;) {
    if (buffer.length - at < 2) break;
    const b1 = buffer[at + 1]!;
    let length = b1 & 0x7f;
    let offset = at + 2;
    if (length === 126) { if (buffer.length < offset + 2) break; length = buffer.readUInt16BE(offset); offset += 2; }
    else if (length === 127) { if (buffer.length < offset + 8) break; length = Number(buffer.readBigUInt64BE(offset)); offset += 8; }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? buffer.subarray(offset, offset + 4) : undefined;
    if (masked) offset += 4;
    if (buffer.length < offset + length) break;
    const payload = Buffer.from(buffer.subarray(offset, offset + length));
    if (key) for (let i = 0; i < payload.length; i++) payload[i] = payload[i]! ^ key[i & 3]!;
    frames.push({ fin: (buffer[at]! & 0x80) !== 0, opcode: buffer[at]! & 0x0f, payload });
    at = offset + length;
  }
  return { frames, rest: buffer.subarray(at) };
}

/** The status code and reason of a close frame's payload. */
export function readClose(payload: Buffer): { code: number | undefined; reason: string } {
  return payload.length >= 2 ? { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') } : { code: undefined, reason: '' };
}
