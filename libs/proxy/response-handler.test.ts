import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { createUpstream } from './index.js';
import { relayHeaders } from './response-handler.js';
import { writeError } from '../errors/index.js';

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; port: number }> =>
  new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as AddressInfo).port }));
  });

/** the second request of a test: GET /small on a fresh connection */
const getSmall = (port: number): Promise<{ status: number; body: string }> => new Promise((resolve, reject) => {
  request(`http://127.0.0.1:${port}/small`, { agent: false }, (res) => {
    let body = '';
    res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => resolve({ status: res.statusCode!, body }));
  }).on('error', reject).end();
});

async function closeAll(proxy: Server, backend: Server, upstream: { close(): Promise<void> }): Promise<void> {
  for (const server of [proxy, backend]) { server.closeAllConnections(); server.close(); }
  await upstream.close();
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('relayHeaders: repeated names kept, hop-by-hop and Connection-listed names dropped, the gateway\'s own replace the upstream\'s', () => {
  const raw = ['Set-Cookie', 'a=1', 'set-cookie', 'b=2', 'Connection', 'x-secret', 'X-Secret', 's', 'Keep-Alive', 'timeout=5', 'X-Request-Id', 'upstream', 'Content-Type', 'text/plain']
    .map((s) => Buffer.from(s, 'latin1'));
  assert.deepEqual({ ...relayHeaders(raw, { 'x-request-id': 'gw' }) }, { 'set-cookie': ['a=1', 'b=2'], 'content-type': 'text/plain', 'x-request-id': 'gw' });
});

test('relayHeaders: upstream headers named like Object.prototype members are relayed as they came', () => {
  const raw = ['Constructor', 'c', 'toString', 't', 'hasOwnProperty', 'h', 'valueOf', 'v1', 'valueOf', 'v2'].map((s) => Buffer.from(s, 'latin1'));
  assert.deepEqual({ ...relayHeaders(raw, { 'x-request-id': 'gw' }) }, { constructor: 'c', tostring: 't', hasownproperty: 'h', valueof: ['v1', 'v2'], 'x-request-id': 'gw' });
  assert.deepEqual({ ...relayHeaders(raw, undefined) }, { constructor: 'c', tostring: 't', hasownproperty: 'h', valueof: ['v1', 'v2'] });
});

test('a client that leaves mid-body stops the upstream response and frees the upstream socket for the next request', async () => {
  let upstreamClosed = 0;
  let served = 0;
  const backend = await listen((req, res) => {
    served++;
    if (req.url === '/small') { res.end('ok'); return; }
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    const timer = setInterval(() => res.write(Buffer.alloc(16_384)), 5); // an endless body
    res.on('close', () => { clearInterval(timer); upstreamClosed++; });
  });
  // one upstream socket, no queue: the second request gets it only if the first gave it back
  const upstream = createUpstream(`http://127.0.0.1:${backend.port}`, { connectTimeoutMs: 500, responseTimeoutMs: 30_000, maxSockets: 1, maxQueued: 0 });
  const proxy = await listen((req, res) => upstream.forward(req, res, { path: req.url!, headers: {} }, (err) => writeError(res, err, 'test')));
  try {
    // a raw client that reads the head and some body, then goes away
    const socket = connect(proxy.port, '127.0.0.1');
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      socket.on('error', reject).on('data', (c: Buffer) => { received += c.length; if (received > 100_000) { socket.destroy(); resolve(); } });
      socket.write('GET /endless HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    await until(() => upstreamClosed === 1);
    assert.deepEqual(await getSmall(proxy.port), { status: 200, body: 'ok' });
    assert.equal(served, 2);
  } finally {
    await closeAll(proxy.server, backend.server, upstream);
  }
});

test('a client that leaves before the upstream\'s headers frees the upstream socket for the next request (attacker\'s pass)', async () => {
  let served = 0;
  let slowClosed = false;
  const backend = await listen((req, res) => {
    served++;
    if (req.url === '/small') { res.end('ok'); return; }
    res.on('close', () => { slowClosed = true; }); // aborted by the gateway, or answered (the leak)
    setTimeout(() => { if (!res.destroyed) res.end('late'); }, 300); // answers after the client has gone; keeps the connection open
  });
  // one upstream socket, no queue: the second request gets it only if the first gave it back
  const upstream = createUpstream(`http://127.0.0.1:${backend.port}`, { connectTimeoutMs: 500, responseTimeoutMs: 30_000, maxSockets: 1, maxQueued: 0 });
  const proxy = await listen((req, res) => upstream.forward(req, res, { path: req.url!, headers: {} }, (err) => writeError(res, err, 'test')));
  try {
    const socket = connect(proxy.port, '127.0.0.1');
    socket.on('error', () => {});
    socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => served === 1);
    socket.destroy(); // before the upstream's headers (300 ms)
    await until(() => slowClosed); // the upstream request ended, either way (the leak kept its socket from here on)
    assert.deepEqual(await getSmall(proxy.port), { status: 200, body: 'ok' });
    assert.equal(served, 2);
  } finally {
    await closeAll(proxy.server, backend.server, upstream);
  }
});

test('a 304 with the representation\'s Content-Length (RFC 9110 §8.6) is relayed without a body and the connection stays usable', async () => {
  const backend = await listen((req, res) => {
    if (req.url === '/small') { res.end('ok'); return; }
    // what a cache-validating origin sends: the length of the representation the client already has
    res.writeHead(304, { etag: '"v1"', 'content-length': '10' }).end();
  });
  const upstream = createUpstream(`http://127.0.0.1:${backend.port}`, { connectTimeoutMs: 500, responseTimeoutMs: 5000, maxSockets: 1 });
  const proxy = await listen((req, res) => upstream.forward(req, res, { path: req.url!, headers: {} }, (err) => writeError(res, err, 'test')));
  try {
    // two requests on one connection, from a raw socket: the second is answered only if the 304 left the connection in step
    const got = await new Promise<string>((resolve, reject) => {
      const socket = connect(proxy.port, '127.0.0.1');
      let text = '';
      socket.on('data', (c: Buffer) => { text += c.toString('latin1'); if (text.includes('\r\n\r\nok')) { socket.destroy(); resolve(text); } })
        .on('close', () => resolve(text)).on('error', reject);
      socket.write('GET /etag HTTP/1.1\r\nHost: x\r\nIf-None-Match: "v1"\r\n\r\nGET /small HTTP/1.1\r\nHost: x\r\n\r\n');
    });
    const [first, second] = got.split(/(?=HTTP\/1\.1 )/);
    assert.match(first!, /^HTTP\/1\.1 304 /);
    assert.match(first!, /\r\netag: "v1"\r\n/i);
    assert.ok(first!.endsWith('\r\n\r\n'), 'no body after the 304 head');
    assert.match(second ?? '', /^HTTP\/1\.1 200 [\s\S]*\r\n\r\nok$/);
  } finally {
    await closeAll(proxy.server, backend.server, upstream);
  }
});
