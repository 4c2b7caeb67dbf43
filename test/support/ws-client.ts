/**
 * A WebSocket client on a raw socket (test/support/raw-socket.ts): the
 * handshake written byte for byte, frames encoded and decoded by hand, so a
 * test sees exactly what a gateway sent — the 101 or refusal head, every
 * frame, the close code, the socket's end.
 */
import { randomBytes } from 'node:crypto';
import { decodeFrames, encodeFrame, OPCODE, readClose, type Frame } from '../../libs/websocket/index.js';
import { head, rawConnect, type RawClient } from './raw-socket.js';

export interface WsClient {
  raw: RawClient;
  status: number;
  headers: Record<string, string>;
  /** the body of a refusal (read to the socket's end) */
  body: string;
  key: string;
  /** every frame received after the 101 */
  frames(): Frame[];
  send(opcode: number, payload: Buffer | string, fin?: boolean): void;
  /** waits (polling the socket, up to timeoutMs) for a frame matching `match` */
  waitForFrame(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame | undefined>;
  /** the close frame's code and reason, once it came */
  closeOf(frame: Frame): { code: number | undefined; reason: string };
}

export async function wsConnect(url: string, path: string, headers: Record<string, string> = {}, options: { lines?: string[]; tls?: { ca: string; servername: string } } = {}): Promise<WsClient> {
  const raw = await rawConnect(url, options.tls ? { tls: options.tls } : {});
  const key = randomBytes(16).toString('base64');
  const { host } = new URL(url);
  raw.write(head(options.lines ?? [`GET ${path} HTTP/1.1`, `Host: ${host}`, 'Upgrade: websocket', 'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`, 'Sec-WebSocket-Version: 13', ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)]));
  if (!(await raw.waitFor('\r\n\r\n', 10_000))) throw new Error(`no answer to the upgrade: ${JSON.stringify(raw.received())}`);
  const text = raw.received();
  const end = text.indexOf('\r\n\r\n');
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine ?? '')?.[1] ?? 0);
  const answer: Record<string, string> = {};
  for (const line of lines) { const i = line.indexOf(':'); answer[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim(); }
  let body = '';
  if (status !== 101) { await raw.closed; body = raw.received().slice(end + 4); }
  const frames = () => decodeFrames(Buffer.from(raw.received().slice(end + 4), 'latin1')).frames;
  return {
    raw, status, headers: answer, body, key, frames,
    send(opcode, payload, fin = true) { raw.write(encodeFrame(opcode, Buffer.from(payload), true, fin)); },
    async waitForFrame(match, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = frames().find(match);
        if (found || Date.now() > deadline) return found;
        await Promise.race([raw.closed, new Promise((r) => setTimeout(r, 10))]);
        if (!raw.socket.readable && !frames().find(match)) return undefined;
      }
    },
    closeOf: (frame) => readClose(frame.payload),
  };
}

export { OPCODE };
