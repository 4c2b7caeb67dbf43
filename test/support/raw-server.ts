import { createServer, type AddressInfo, type Socket } from 'node:net';

export interface RawServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** every request's head (up to the blank line), in order */
  readonly heads: string[];
  /** connections accepted so far */
  readonly connections: number;
  /** destroys every open connection and stops listening */
  close(): Promise<void>;
}

/**
 * A peer that speaks raw HTTP/1.1 bytes (node:net) on 127.0.0.1, for what an
 * HTTP server library would never send: each complete request (its head and a
 * Content-Length body; several per packet when pipelined) goes to `answer`
 * with its socket, which writes whatever bytes the test wants.
 */
export async function rawHttpServer(answer: (socket: Socket, head: string) => void): Promise<RawServer> {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket.on('close', () => sockets.delete(socket)).on('error', () => undefined));
    let buffered = '';
    socket.setEncoding('latin1').on('data', (chunk: string) => {
      buffered += chunk;
      for (let end = buffered.indexOf('\r\n\r\n'); end !== -1; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        heads.push(head);
        answer(socket, head);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    heads,
    get connections() { return connections; },
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
  };
}

/** the bytes of one HTTP/1.1 answer framed by Content-Length: `status` as in its status line ("200 OK"), `headers` each "name: value" */
export function rawAnswer(status: string, headers: readonly string[], body: Buffer | string = ''): Buffer {
  const bytes = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`HTTP/1.1 ${status}\r\n${headers.map((h) => `${h}\r\n`).join('')}content-length: ${bytes.length}\r\n\r\n`, 'latin1'), bytes]);
}
