import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../observability/index.js';
import { createUpstream } from '../proxy/index.js';
import { createRequestLifecycle } from './request-lifecycle.js';

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });

/** a gateway hop in miniature: the lifecycle around a forward, its JSON lines kept */
async function hop(backendPort: number) {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({ write(chunk: Buffer, _enc, done) { for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>); done(); } });
  const logger = createLogger({ name: 'test', level: 'info', destination });
  const lifecycle = createRequestLifecycle({ logger, realm: 'test', accessLog: true });
  const upstream = createUpstream(`http://127.0.0.1:${backendPort}`, { connectTimeoutMs: 500, responseTimeoutMs: 5000, maxSockets: 4 });
  const proxy = await listen((req, res) => {
    const record = lifecycle.begin(req, res);
    upstream.forward(req, res, { path: req.url!, headers: {} }, (err) => lifecycle.fail(res, record, err));
  });
  return { lines, proxy, upstream };
}

/** a request's access line (it has a path; other lines do not) */
const isAccess = (line: Record<string, unknown>) => line.path !== undefined;

/** sends one raw request and resolves with everything received once the connection closes */
const exchange = (port: number, request: string): Promise<string> => new Promise((resolve, reject) => {
  const socket = connect(port, '127.0.0.1');
  let got = '';
  socket.on('data', (c: Buffer) => { got += c.toString('latin1'); }).on('close', () => resolve(got)).on('error', reject);
  socket.write(request);
});

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('an upstream that fails mid-body: the response is cut, and the access line has the status sent and the upstream\'s failure (not 499)', async () => {
  const backend = await listen((_req, res) => {
    res.writeHead(200, { 'content-length': '100000' });
    res.write(Buffer.alloc(1000, 97), () => setTimeout(() => res.socket!.destroy(), 20));
  });
  const { lines, proxy, upstream } = await hop(backend.port);
  try {
    const got = await exchange(proxy.port, 'GET /cut HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.match(got, /^HTTP\/1\.1 200 /);
    assert.ok(got.length < 100_000, 'the response was cut, not completed');
    await until(() => lines.some(isAccess));
    const access = lines.find(isAccess)!;
    assert.equal(access.status, 200);
    assert.equal(access.code, 'upstream_unavailable');
    assert.ok(lines.some((l) => l.msg === 'dependency failure'), 'the upstream failure is logged as a dependency failure');
  } finally {
    for (const s of [proxy.server, backend.server]) { s.closeAllConnections(); s.close(); }
    await upstream.close();
  }
});

test('a client that leaves mid-body is logged 499 without an upstream failure', async () => {
  let upstreamClosed = false;
  const backend = await listen((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const timer = setInterval(() => res.write(Buffer.alloc(16_384)), 5);
    res.on('close', () => { clearInterval(timer); upstreamClosed = true; });
  });
  const { lines, proxy, upstream } = await hop(backend.port);
  try {
    const socket = connect(proxy.port, '127.0.0.1');
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject).on('data', (c: Buffer) => { received += c.length; if (received > 50_000) { socket.destroy(); resolve(); } });
      socket.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    await until(() => upstreamClosed && lines.some(isAccess));
    const access = lines.find(isAccess)!;
    assert.equal(access.status, 499);
    assert.equal(access.code, undefined);
    assert.equal(lines.filter((l) => l.msg === 'dependency failure').length, 0);
  } finally {
    for (const s of [proxy.server, backend.server]) { s.closeAllConnections(); s.close(); }
    await upstream.close();
  }
});
