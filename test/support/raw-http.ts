import { connect } from 'node:net';

export interface RawReply {
  status: number;
  /** lower-case names; a repeated name keeps its last value */
  headers: Record<string, string>;
  body: string;
}

/**
 * One request written byte for byte on a fresh TCP socket (node:net), for
 * what an HTTP client library would normalise or refuse to send: dot
 * segments, absolute-form targets, several Host headers, odd header names.
 * `lines` are the header lines; `Connection: close` is added, and the reply
 * is read until the server closes. `localAddress` (e.g. 127.0.0.2) makes the
 * request come from a peer that is not a trusted proxy.
 */
export function rawRequest(url: string, requestLine: string, lines: readonly string[], options: { body?: string; localAddress?: string } = {}): Promise<RawReply> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ port: Number(port), host: hostname, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      socket.end();
      const text = Buffer.concat(chunks).toString('latin1');
      const split = text.indexOf('\r\n\r\n');
      const head = (split === -1 ? text : text.slice(0, split)).split('\r\n');
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const colon = line.indexOf(':');
        if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest = split === -1 ? '' : text.slice(split + 4);
      if (headers['transfer-encoding'] === 'chunked') {
        let out = '';
        for (;;) {
          const eol = rest.indexOf('\r\n');
          const size = parseInt(rest.slice(0, eol), 16);
          if (!size) break;
          out += rest.slice(eol + 2, eol + 2 + size);
          rest = rest.slice(eol + 2 + size + 2);
        }
        rest = out;
      }
      resolve({ status, headers, body: Buffer.from(rest, 'latin1').toString('utf8') });
    });
    // write, not end: a half-closed socket makes Node's server drop a response still in the making
    socket.write(`${requestLine}\r\n${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n${options.body ?? ''}`, 'latin1');
  });
}
