/** What stopped a stream of frames: the close code to send, why, and how much of the last chunk may still go on. */
export interface FrameViolation {
  /** 1009 message too big, 1002 protocol error (RFC 6455 §7.4.1) */
  code: 1009 | 1002;
  reason: string;
  /** bytes of the chunk before the offending frame (forward them: the peer is then at a frame boundary); -1: the frame began in an earlier chunk */
  at: number;
}

const HEADER_MAX = 14;

/**
 * Reads WebSocket frame headers as bytes stream through a tunnel, without
 * decoding payloads: counts each message's payload (fragments included)
 * against `maxMessageBytes`, and checks what a relay must: the masking rule
 * of the direction (client → server frames masked, server → client not),
 * no reserved opcodes, control frames unfragmented and at most 125 bytes.
 * `feed` returns undefined while all is well, else the violation.
 * `atBoundary` tells whether everything forwarded so far ends on a frame
 * boundary (a close frame can then be sent on that side).
 */
export class FrameMeter {
  private readonly header = Buffer.alloc(HEADER_MAX);
  private have = 0;
  /** payload bytes of the current frame still to pass */
  private remaining = 0;
  /** payload bytes of the data message in progress */
  private message = 0;
  private inMessage = false;

  constructor(private readonly maxMessageBytes: number, private readonly masked: boolean) {}

  get atBoundary(): boolean { return this.have === 0 && this.remaining === 0; }

  feed(chunk: Buffer): FrameViolation | undefined {
    let i = 0;
    const n = chunk.length;
    // where the header being read began in this chunk (-1: in an earlier one)
    let start = -1;
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        this.remaining -= take;
        i += take;
        continue;
      }
      if (this.have === 0) start = i;
      this.header[this.have++] = chunk[i++]!;
      if (this.have < 2) continue;
      const b1 = this.header[1]!;
      const len7 = b1 & 0x7f;
      const size = 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
      if (this.have < size) continue;
      const violation = this.frame(len7);
      this.have = 0;
      if (violation) return { ...violation, at: start };
    }
    return undefined;
  }

  /** checks a complete header; sets `remaining` */
  private frame(len7: number): Omit<FrameViolation, 'at'> | undefined {
    const b0 = this.header[0]!;
    const fin = (b0 & 0x80) !== 0;
    const opcode = b0 & 0x0f;
    if (((this.header[1]! & 0x80) !== 0) !== this.masked) return { code: 1002, reason: this.masked ? 'client frames must be masked' : 'server frames must not be masked' };
    let length = len7;
    if (len7 === 126) length = this.header.readUInt16BE(2);
    else if (len7 === 127) {
      const high = this.header.readUInt32BE(2);
      // past 2^53 bytes the length is not a safe number; it is far over any limit anyway
      length = high > 0x1f_ffff ? Number.MAX_SAFE_INTEGER : high * 2 ** 32 + this.header.readUInt32BE(6);
    }
    if (opcode >= 8) {
      if (opcode > 10) return { code: 1002, reason: 'reserved opcode' };
      if (!fin || length > 125) return { code: 1002, reason: 'control frames are unfragmented and at most 125 bytes' };
      this.remaining = length;
      return undefined;
    }
    if (opcode > 2) return { code: 1002, reason: 'reserved opcode' };
    if (opcode === 0 ? !this.inMessage : this.inMessage) return { code: 1002, reason: 'unexpected continuation frame' };
    if (opcode !== 0) this.message = 0;
    this.message += length;
    if (this.message > this.maxMessageBytes) return { code: 1009, reason: `messages are limited to ${this.maxMessageBytes} bytes` };
    this.inMessage = !fin;
    this.remaining = length;
    return undefined;
  }
}
