/**
 * A raw TCP client for hostile-input tests: writes exactly the bytes given
 * (no client library to normalise them), keeps everything the server sent,
 * and notes when the server closed the connection.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { readFileSync } from 'node:fs';

export interface RawClient {
  socket: Socket;
  /** everything received so far, as latin1 text */
  received(): string;
  /** resolves with the time (performance.now()) the socket closed */
  closed: Promise<number>;
  /** bytes handed to the kernel so far (accepted by the socket) */
  readonly written: number;
  write(data: string | Buffer): boolean;
  /** waits until the received text contains `text` (or the socket closed, or timeoutMs): true when it does */
  waitFor(text: string, timeoutMs?: number): Promise<boolean>;
}

/** `tls`: a TLS connection verified against this CA file, with this SNI name */
export function rawConnect(url: string, options: { localAddress?: string; tls?: { ca: string; servername: string } } = {}): Promise<RawClient> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = options.tls
      ? tlsConnect({ host: hostname, port: Number(port), ca: readFileSync(options.tls.ca), servername: options.tls.servername })
      : connect({ host: hostname, port: Number(port), ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const chunks: Buffer[] = [];
    let written = 0;
    let isClosed = false;
    const waiters = new Set<() => void>();
    const wake = () => { for (const w of waiters) w(); };
    socket.on('data', (c: Buffer) => { chunks.push(c); wake(); });
    socket.on('error', () => {}); // a reset is an expected outcome here; `closed` reports it
    const closed = new Promise<number>((done) => socket.once('close', () => { isClosed = true; wake(); done(performance.now()); }));
    const received = () => Buffer.concat(chunks).toString('latin1');
    socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve({
      socket, closed, received,
      get written() { return written; },
      write(data) { written += typeof data === 'string' ? Buffer.byteLength(data) : data.length; return socket.write(data); },
      waitFor(text, timeoutMs = 5000) {
        return new Promise((done) => {
          const check = () => {
            if (received().includes(text)) { finish(true); return; }
            if (isClosed) finish(false);
          };
          const timer = setTimeout(() => finish(false), timeoutMs);
          function finish(ok: boolean) { clearTimeout(timer); waiters.delete(check); done(ok); }
          waiters.add(check);
          check();
        });
      },
    }));
    socket.once('error', reject);
  });
}

/** A request head (CRLF line ends, blank line at the end). */
export const head = (lines: string[]): string => `${lines.join('\r\n')}\r\n\r\n`;
