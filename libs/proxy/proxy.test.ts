import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createUpstream, forwardHeaders, headerPolicy, type UpstreamOptions } from './index.js';
import { writeError } from '../errors/index.js';

const listen = (handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ server: Server; url: string }> =>
  new Promise((resolve) => {
    const server = createServer(handler);
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  });

const OPTIONS: UpstreamOptions = { connectTimeoutMs: 500, responseTimeoutMs: 300, maxSockets: 8 };

/** A proxy in front of `upstreamUrl` using libs/proxy, answering failures with writeError. */
async function proxyTo(upstreamUrl: string, trusted: string[] = []) {
  const upstream = createUpstream(upstreamUrl, OPTIONS);
  const policy = headerPolicy(['authorization', 'x-auth-*'], trusted);
  const proxy = await listen((req, res) => {
    upstream.forward(req, res, { path: req.url!, headers: forwardHeaders(req, policy, { 'x-added': 'yes' }), responseHeaders: { 'x-request-id': 'r1' } },
      (err) => writeError(res, err, 'test'));
  });
  return { ...proxy, async close() { proxy.server.close(); proxy.server.closeAllConnections(); await upstream.close(); } };
}

function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; chunked?: boolean } = {}) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => { body += c; }).on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.chunked) { req.write(options.body!.slice(0, 3)); req.end(options.body!.slice(3)); } else req.end(options.body);
  });
}

test('streams both ways, drops hop-by-hop and stripped headers, adds its own', async () => {
  const backend = await listen((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; }).on('end', () => {
      res.writeHead(201, { 'content-type': 'application/json', connection: 'close, x-secret-hop', 'x-secret-hop': 'no', 'keep-alive': 'timeout=1' })
        .end(JSON.stringify({ headers: req.headers, body, method: req.method, url: req.url }));
    });
  });
  const proxy = await proxyTo(backend.url);
  try {
    const reply = await call(`${proxy.url}/p?q=1`, {
      method: 'POST', chunked: true, body: 'hello world',
      headers: { connection: 'x-hop-named', 'x-hop-named': '1', 'x-auth-sub': 'spoof', authorization: 'Bearer opaque', te: 'trailers', 'x-keep': 'kept' },
    });
    assert.equal(reply.status, 201);
    assert.equal(reply.headers['x-secret-hop'], undefined);
    assert.notEqual(reply.headers['keep-alive'], 'timeout=1', 'the upstream keep-alive is not passed on');
    assert.equal(reply.headers['x-request-id'], 'r1');
    const seen = JSON.parse(reply.body) as { headers: Record<string, string>; body: string; method: string; url: string };
    assert.equal(seen.body, 'hello world');
    assert.equal(seen.method, 'POST');
    assert.equal(seen.url, '/p?q=1');
    assert.equal(seen.headers['x-keep'], 'kept');
    assert.equal(seen.headers['x-added'], 'yes');
    for (const h of ['x-hop-named', 'x-auth-sub', 'authorization', 'te']) assert.equal(seen.headers[h], undefined, h);
    assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  } finally {
    await proxy.close(); backend.server.close();
  }
});

test('forwarding headers from an untrusted peer are replaced, from a trusted one extended', async () => {
  const backend = await listen((req, res) => res.end(JSON.stringify(req.headers)));
  for (const [trusted, expected] of [[[], '127.0.0.1'], [['127.0.0.1'], '6.6.6.6, 127.0.0.1']] as const) {
    const proxy = await proxyTo(backend.url, [...trusted]);
    const seen = JSON.parse((await call(`${proxy.url}/`, { headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6' } })).body) as Record<string, string>;
    assert.equal(seen['x-forwarded-for'], expected);
    assert.equal(seen.forwarded, trusted.length ? 'for=6.6.6.6' : undefined);
    await proxy.close();
  }
  backend.server.close();
});

test('a refused connection is 502 upstream_unavailable', async () => {
  const gone = await listen(() => {});
  const url = gone.url;
  await new Promise((r) => gone.server.close(r));
  const proxy = await proxyTo(url);
  try {
    const reply = await call(`${proxy.url}/x`);
    assert.equal(reply.status, 502);
    assert.equal(JSON.parse(reply.body).error, 'upstream_unavailable');
  } finally { await proxy.close(); }
});

test('an upstream slower than the response timeout is 504 upstream_timeout', async () => {
  const slow = await listen((_req, res) => { setTimeout(() => res.end('late'), 1000); });
  const proxy = await proxyTo(slow.url);
  try {
    const reply = await call(`${proxy.url}/x`);
    assert.equal(reply.status, 504);
    assert.equal(JSON.parse(reply.body).error, 'upstream_timeout');
  } finally { await proxy.close(); slow.server.closeAllConnections(); slow.server.close(); }
});

test('an upstream that resets the connection before answering is 502', async () => {
  const rude = await listen((req) => { req.socket.destroy(); });
  const proxy = await proxyTo(rude.url);
  try {
    const reply = await call(`${proxy.url}/x`, { method: 'POST', body: 'x' });
    assert.equal(reply.status, 502);
  } finally { await proxy.close(); rude.server.close(); }
});

test('a response cut mid-body cuts the client response too (no silent truncation)', async () => {
  const cut = await listen((_req, res) => {
    res.writeHead(200, { 'content-length': '100' });
    res.write('partial');
    setTimeout(() => res.socket?.destroy(), 50);
  });
  const proxy = await proxyTo(cut.url);
  try {
    await assert.rejects(call(`${proxy.url}/x`));
  } finally { await proxy.close(); cut.server.close(); }
});
