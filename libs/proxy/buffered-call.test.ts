import { test } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Socket } from 'node:net';
import { Pool } from 'undici';
import { AnswerTooLargeError, bufferedCall, rawHeader } from './buffered-call.js';
import { rawHttpServer as rawServer } from '../../test/support/raw-server.js';


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

// ---- a hostile or broken dependency (the AS, a PDP), answering bytes of its choosing ----

const closed = (socket: Socket) => new Promise<void>((r) => { if (socket.destroyed) r(); else socket.once('close', () => r()); });

test('an answer that never ends fails at timeoutMs and the client closes its connection: a trickled body, endless 1xx answers, an endless chunk-size line, a head that never ends', async (t) => {
  const scripts: [string, string, string][] = [
    ['trickled body', 'HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n', 'x'],
    ['endless 1xx', '', 'HTTP/1.1 103 Early Hints\r\nlink: </a>; rel=preload\r\n\r\n'],
    ['endless chunk-size line', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n', '0'],
    ['head that never ends', 'HTTP/1.1 200 OK\r\n', 'x-a: b\r\n'],
  ];
  for (const [name, first, again] of scripts) {
    let served: Socket | undefined;
    const server = await rawServer((socket) => {
      served = socket;
      socket.write(first);
      const tick = setInterval(() => socket.write(again), 10);
      socket.on('close', () => clearInterval(tick)).on('error', () => undefined);
    });
    t.after(server.close);
    await assert.rejects(bufferedCall({ origin: server.origin, path: '/' }, post, { timeoutMs: 150 }), { name: 'TimeoutError' }, name);
    await closed(served!); // the server would keep writing forever: only the client's close ends it
  }
});

test('the late rest of an answer that timed out is never read as the next call\'s answer on the same pool', async (t) => {
  let late: (() => void) | undefined;
  const server = await rawServer((socket, head) => {
    socket.on('error', () => undefined);
    if (head.startsWith('POST /slow ')) {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 12\r\n\r\n{"slow"');
      late = () => socket.write(':1}\r\nHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n"forged"');
    } else {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n"fresh"');
    }
  });
  t.after(server.close);
  const pool = new Pool(server.origin, { connections: 1 });
  t.after(() => pool.destroy());
  await assert.rejects(bufferedCall({ origin: server.origin, path: '/slow' }, post, { timeoutMs: 100, dispatcher: pool }), { name: 'TimeoutError' });
  late!();
  const next = await bufferedCall({ origin: server.origin, path: '/next' }, post, { timeoutMs: 1000, dispatcher: pool });
  assert.equal(next.body.toString(), '"fresh"');
  assert.equal(server.connections, 2);
});

test('malformed framing: each answer fails the call or is read as framed, and the next call on the pool gets its own answer', async (t) => {
  const cases: [string, string, string | undefined][] = [ // name, bytes, the body read (undefined: the call fails)
    ['content-length and transfer-encoding', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 3\r\n\r\n2\r\nab\r\n0\r\n\r\n', undefined],
    ['two different content-lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-length: 4\r\n\r\nabcd', undefined],
    ['a negative content-length', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\nab', undefined],
    ['an overflowing content-length', 'HTTP/1.1 200 OK\r\ncontent-length: 99999999999999999999999\r\n\r\nab', undefined],
    ['bare LF', 'HTTP/1.1 200 OK\ncontent-length: 2\n\nab', undefined],
    ['obs-fold', 'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n ;x=1\r\ncontent-length: 2\r\n\r\nab', undefined],
    ['a NUL in a header value', 'HTTP/1.1 200 OK\r\nx-a: a\0b\r\ncontent-length: 2\r\n\r\nab', undefined],
    ['status 2000', 'HTTP/1.1 2000 OK\r\ncontent-length: 2\r\n\r\nab', undefined],
    ['status 099', 'HTTP/1.1 099 X\r\ncontent-length: 2\r\n\r\nab', undefined],
    ['a 204 with a body', 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n"forged"', ''],
    ['a 304 with a body', 'HTTP/1.1 304 Not Modified\r\ncontent-length: 8\r\n\r\n"forged"', undefined],
    ['two answers to one request', 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nabHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n"forged"', 'ab'],
    ['Connection: close, then more bytes', 'HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nabHTTP/1.1 200 OK\r\ncontent-length: 8\r\n\r\n"forged"', 'ab'],
    ['HTTP/1.0 without a length', 'HTTP/1.0 200 OK\r\n\r\nabcdef', 'abcdef'],
  ];
  for (const [name, bytes, expected] of cases) {
    const server = await rawServer((socket, head) => {
      socket.on('error', () => undefined);
      if (head.startsWith('POST /next ')) socket.write('HTTP/1.1 200 OK\r\ncontent-length: 7\r\n\r\n"fresh"');
      else if (name.startsWith('HTTP/1.0')) socket.end(bytes);
      else socket.write(bytes);
    });
    t.after(server.close);
    const pool = new Pool(server.origin, { connections: 1 });
    t.after(() => pool.destroy());
    const call = bufferedCall({ origin: server.origin, path: '/' }, post, { timeoutMs: 1000, dispatcher: pool });
    if (expected === undefined) await assert.rejects(call, (err: Error) => err.name !== 'TimeoutError', name);
    else assert.equal((await call).body.toString('latin1'), expected, name);
    const next = await bufferedCall({ origin: server.origin, path: '/next' }, post, { timeoutMs: 1000, dispatcher: pool });
    assert.equal(next.body.toString(), '"fresh"', name);
  }
});

test('a call that timed out while queued does not close the pooled connection when its turn comes', async (t) => {
  let held: Socket | undefined;
  const server = await rawServer((socket, head) => {
    if (head.startsWith('POST /held ')) held = socket;
    else socket.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"ok"');
  });
  t.after(server.close);
  const pool = new Pool(server.origin, { connections: 1 });
  t.after(() => pool.destroy());
  const first = bufferedCall({ origin: server.origin, path: '/held' }, post, { timeoutMs: 5000, dispatcher: pool });
  await assert.rejects(bufferedCall({ origin: server.origin, path: '/queued' }, post, { timeoutMs: 50, dispatcher: pool }), { name: 'TimeoutError' });
  held!.write('HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n"ok"');
  assert.equal((await first).status, 200);
  assert.equal((await bufferedCall({ origin: server.origin, path: '/probe' }, post, { timeoutMs: 1000, dispatcher: pool })).status, 200);
  assert.deepEqual(server.heads.map((h) => h.split(' ')[1]), ['/held', '/probe']);
  assert.equal(server.connections, 1, 'the queued call was dropped without closing the connection the held call left free');
});

test('a body sent as many one-byte chunks is held in one buffer, not as one object per chunk', async (t) => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const chunks = 200_000;
  let received = 0;
  const count = () => { received++; };
  diagnostics.subscribe('undici:request:bodyChunkReceived', count);
  t.after(() => diagnostics.unsubscribe('undici:request:bodyChunkReceived', count));
  let finish: (() => void) | undefined;
  const server = await rawServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n');
    socket.write('1\r\nx\r\n'.repeat(chunks));
    finish = () => socket.write('0\r\n\r\n');
  });
  t.after(server.close);
  gc();
  const before = process.memoryUsage().heapUsed;
  const call = bufferedCall({ origin: server.origin, path: '/' }, post, { timeoutMs: 10_000 });
  while (received < chunks) await new Promise((r) => setTimeout(r, 10));
  gc();
  const held = process.memoryUsage().heapUsed - before;
  finish!();
  assert.equal((await call).body.length, chunks);
  assert.ok(held < 20 * chunks, `${held} bytes of heap held for a body of ${chunks} bytes`);
});
