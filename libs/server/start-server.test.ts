import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';
import pino from 'pino';
import { startServer, type RunningServer } from './start-server.js';

const logger = pino({ level: 'silent' });
const OPTIONS = { host: '127.0.0.1', port: 0, maxHeaderBytes: 8192, keepAliveTimeoutMs: 30_000, headersTimeoutMs: 10_000, realm: 'test' };

/** A handler that refuses synchronously (the way a bearer refusal is written), or holds /slow until released. */
function heldHandler() {
  const held: ServerResponse[] = [];
  let onHeld: (() => void) | undefined;
  const api = {
    held,
    refused: 0,
    waitHeld: (n: number) => new Promise<void>((resolve) => {
      if (held.length >= n) { resolve(); return; }
      onHeld = () => { if (held.length >= n) resolve(); };
    }),
    release: () => { for (const res of held.splice(0)) res.end('slow done'); },
    handle: (req: IncomingMessage, res: ServerResponse) => {
      if (req.url === '/slow') { held.push(res); onHeld?.(); return; }
      api.refused++;
      res.writeHead(401, { 'content-type': 'application/json', 'content-length': '2' });
      res.end('{}');
    },
  };
  return api;
}

/** A raw socket and everything it received until the server closed it. */
function rawClient(url: string): Promise<{ socket: Socket; received: Promise<string>; text(): string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      let text = '';
      socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
      const received = new Promise<string>((done) => socket.on('close', () => done(text)));
      resolve({ socket, received, text: () => text });
    });
    socket.once('error', reject);
  });
}

const get = (path: string) => `GET ${path} HTTP/1.1\r\nhost: test\r\nauthorization: Basic x\r\n\r\n`;

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('startServer drain', () => {
  test('a synchronous refusal on a kept-alive connection during a drain is answered with connection: close, and nothing throws', { timeout: 10_000 }, async () => {
    const h = heldHandler();
    const running: RunningServer = await startServer(h.handle, OPTIONS, logger);
    const client = await rawClient(running.url);
    // the first request is held in flight; the second arrives on the same socket once the drain began
    client.socket.write(get('/slow'));
    await h.waitHeld(1);
    const closed = running.close(60_000);
    client.socket.write(get('/refuse'));
    await until(() => h.refused === 1, 'the second request');
    h.release();
    const text = await client.received;
    await closed;
    const responses = text.split('HTTP/1.1 ').slice(1);
    assert.equal(responses.length, 2, text);
    assert.match(responses[0]!, /^200 /);
    assert.match(responses[1]!, /^401 /);
    assert.match(responses[1]!, /\r\nconnection: close\r\n/i);
  });

  test('a kept-alive connection whose request was in flight when the drain began is closed when that response ends', { timeout: 10_000 }, async () => {
    const h = heldHandler();
    const running = await startServer(h.handle, OPTIONS, logger);
    const client = await rawClient(running.url);
    client.socket.write(get('/slow'));
    await h.waitHeld(1);
    let drained = false;
    const closed = running.close(60_000).then(() => { drained = true; });
    h.release();
    const text = await client.received;
    await closed;
    assert.equal(drained, true);
    assert.match(text, /^HTTP\/1\.1 200 /);
    assert.equal(text.split('HTTP/1.1 ').length, 2, text);
  });

  test('an idle kept-alive connection is closed by a drain without waiting for its keep-alive timeout', { timeout: 10_000 }, async () => {
    const h = heldHandler();
    const running = await startServer(h.handle, OPTIONS, logger);
    const idle = await rawClient(running.url);
    idle.socket.write(get('/refuse'));
    await until(() => idle.text().includes('{}'), 'the first response');
    const busy = await rawClient(running.url);
    busy.socket.write(get('/slow'));
    await h.waitHeld(1);
    const closed = running.close(60_000);
    const idleText = await idle.received; // closed by the server without waiting for the keep-alive timeout
    assert.equal(idleText.split('HTTP/1.1 ').length, 2);
    h.release();
    await busy.received;
    await closed;
  });

  test('swap serves the next request with the new handler and leaves an in-flight request on the old one', { timeout: 10_000 }, async () => {
    const first = heldHandler();
    const running = await startServer(first.handle, OPTIONS, logger);
    const client = await rawClient(running.url);
    client.socket.write(get('/slow'));
    await first.waitHeld(1);
    running.swap((_req, res) => { res.writeHead(204); res.end(); });
    const other = await rawClient(running.url);
    other.socket.write(get('/slow'));
    await until(() => other.text().startsWith('HTTP/1.1 204 '), 'the new handler');
    first.release();
    await until(() => client.text().includes('slow done'), 'the old handler to finish');
    await running.close(60_000);
  });
});

describe('startServer connection bound', () => {
  test('past maxConnections a new connection is closed at accept and counted; once one closes, the next is served', { timeout: 10_000 }, async () => {
    const h = heldHandler();
    const running = await startServer(h.handle, { ...OPTIONS, maxConnections: 2 }, logger);
    // two idle connections (a client that says nothing, a kept-alive one after its answer) hold both places
    const silent = await rawClient(running.url);
    const kept = await rawClient(running.url);
    kept.socket.write(get('/refuse'));
    await until(() => kept.text().includes('{}'), 'the kept-alive answer');
    const third = await rawClient(running.url);
    third.socket.write(get('/refuse'));
    assert.equal(await third.received, '', 'closed without an answer');
    assert.equal(running.dropped, 1);
    silent.socket.destroy();
    // the server sees the close a moment later: retry until a connection is served again
    let answer = '';
    for (let i = 0; i < 200 && !answer.includes('{}'); i++) {
      const next = await rawClient(running.url);
      let closed = false;
      void next.received.then(() => { closed = true; });
      next.socket.write(get('/refuse'));
      await until(() => closed || next.text().includes('{}'), 'an answer or a close');
      answer = next.text();
      next.socket.destroy();
    }
    assert.match(answer, /^HTTP\/1\.1 401 /);
    kept.socket.destroy();
    await running.close(1000);
  });
});
