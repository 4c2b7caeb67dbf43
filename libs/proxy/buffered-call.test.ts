import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import { AnswerTooLargeError, bufferedCall, rawHeader } from './buffered-call.js';

/** a raw TCP server: each request's head (up to the blank line) goes to `answer` with its socket; every request seen is counted */
async function rawServer(answer: (socket: Socket, head: string) => void) {
  const heads: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
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
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, heads, get connections() { return connections; }, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }) };
}

const post = { method: 'POST' as const, headers: { 'content-type': 'application/json' }, body: '{"q":1}' };

test('a buffered call returns the status, the raw headers and the whole body, past a 1xx answer and across chunks', async (t) => {
  const server = await rawServer((socket) => {
    socket.write('HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n');
    socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    socket.write('5\r\n{"a":\r\n');
    setImmediate(() => socket.write('4\r\n"é"\r\n2\r\n}\n\r\n0\r\n\r\n'));
  });
  t.after(server.close);
  const answer = await bufferedCall({ origin: server.origin, path: '/decide?x=1' }, post, { timeoutMs: 2000 });
  assert.equal(answer.status, 200);
  assert.equal(rawHeader(answer.rawHeaders, 'content-type'), 'application/json');
  assert.deepEqual(JSON.parse(answer.body.toString('utf8')), { a: 'é' });
  assert.match(server.heads[0]!, /^POST \/decide\?x=1 HTTP\/1\.1\r\n/);
});

test('an answer over maxBytes fails the call with its status, and its connection is not reused', async (t) => {
  const server = await rawServer((socket) => {
    socket.write(`HTTP/1.1 403 Forbidden\r\ncontent-length: 5000\r\n\r\n${'x'.repeat(5000)}`);
  });
  t.after(server.close);
  const pool = new Pool(server.origin, { connections: 1 });
  t.after(() => pool.destroy());
  for (let i = 0; i < 2; i++) {
    await assert.rejects(bufferedCall({ origin: server.origin, path: '/' }, post, { timeoutMs: 2000, maxBytes: 1000, dispatcher: pool }),
      (err: unknown) => err instanceof AnswerTooLargeError && err.status === 403);
  }
  assert.equal(server.connections, 2, 'the second call on a new connection: the first one\'s unread rest is never parsed as an answer');
});

test('the timeout covers the whole exchange: a body that stops half way fails with a TimeoutError', async (t) => {
  const server = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"half":'));
  t.after(server.close);
  const started = performance.now();
  await assert.rejects(bufferedCall({ origin: server.origin, path: '/' }, post, { timeoutMs: 150 }), { name: 'TimeoutError' });
  assert.ok(performance.now() - started < 1500, 'bounded by the timeout, not by undici\'s own body timeout');
});

test('a call that times out while waiting for a pooled connection is never sent', async (t) => {
  // the one connection is held by a call the server never answers
  const server = await rawServer(() => undefined);
  t.after(server.close);
  const pool = new Pool(server.origin, { connections: 1, pipelining: 1 });
  t.after(() => pool.destroy());
  const held = bufferedCall({ origin: server.origin, path: '/held' }, post, { timeoutMs: 600, dispatcher: pool });
  await assert.rejects(bufferedCall({ origin: server.origin, path: '/queued' }, post, { timeoutMs: 100, dispatcher: pool }), { name: 'TimeoutError' });
  await assert.rejects(held, { name: 'TimeoutError' });
  // the held call's abort frees the connection; had the queued call been kept, it would go out on it now
  const probe = bufferedCall({ origin: server.origin, path: '/probe' }, post, { timeoutMs: 300, dispatcher: pool });
  await assert.rejects(probe, { name: 'TimeoutError' });
  assert.deepEqual(server.heads.map((h) => h.split(' ')[1]), ['/held', '/probe']);
});
