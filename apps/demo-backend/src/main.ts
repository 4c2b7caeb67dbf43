/**
 * A tiny backend for the demo and the tests: answers every request with what
 * it received — request line, headers, the decoded claims of the JWT it got
 * (decoded for display only; the micro gateway verified it) and the body size.
 *   node dist/apps/demo-backend/src/main.js --port 9081 --name orders
 * `?delay=ms` waits before answering; `?status=NNN` picks the status.
 * A WebSocket upgrade on any path gets an echo (ws-echo.ts); GET /__closes lists the close frames it was sent (with --record).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { decodeJwt } from 'jose';
import { acceptEcho } from './ws-echo.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    host: { type: 'string', default: '127.0.0.1' },
    name: { type: 'string', default: 'backend' },
    // keep what arrived, for tests: GET /__received returns it (only with --record)
    record: { type: 'boolean', default: false },
  },
});

interface Received { method: string | undefined; url: string | undefined; headers: import('node:http').IncomingHttpHeaders }
const received: Received[] = [];
const closes: { code: number | undefined; reason: string }[] = [];

function claimsOf(authorization: string | undefined): unknown {
  const m = authorization ? /^Bearer (.+)$/.exec(authorization) : null;
  if (!m) return null;
  try { return decodeJwt(m[1]!); } catch { return 'not a JWT'; }
}

const server = createServer((req, res) => {
  if (values.record && req.url === '/__received') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(received));
    return;
  }
  if (values.record && req.url === '/__closes') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(closes));
    return;
  }
  if (values.record) received.push({ method: req.method, url: req.url, headers: req.headers });
  let bytes = 0;
  req.on('data', (chunk: Buffer) => { bytes += chunk.length; });
  req.on('end', () => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const delay = Math.min(Number(query.get('delay') ?? 0) || 0, 60_000);
    const status = Number(query.get('status') ?? 200) || 200;
    const body = JSON.stringify({
      service: values.name,
      request: `${req.method} ${req.url} HTTP/${req.httpVersion}`,
      headers: req.headers,
      claims: claimsOf(req.headers.authorization),
      bodyBytes: bytes,
    }, null, 2);
    const send = () => res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    if (delay > 0) setTimeout(send, delay); else send();
  });
});
server.keepAliveTimeout = 65_000;
server.on('upgrade', (req: import('node:http').IncomingMessage, socket: import('node:net').Socket) => {
  if (values.record) received.push({ method: req.method, url: req.url, headers: req.headers });
  acceptEcho(req, socket, (code, reason) => { if (values.record) closes.push({ code, reason }); });
});

server.listen(Number(values.port), values.host, () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ ready: true, program: values.name, url: `http://${values.host}:${port}` }) + '\n');
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => { server.close(); server.closeAllConnections(); process.exit(0); });
