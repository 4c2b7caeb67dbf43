import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rawHttpServer } from '../../test/support/raw-server.js';
import { getEventListeners } from 'node:events';
import { Agent } from 'undici';
import { createLeanFetch, leanFetch } from './lean-fetch.js';

test('leanFetch: the request as sent (method, headers, form body), the answer as a Response; no redirect followed; a timeout rejects as fetch does', async (t) => {
  const seen: { method?: string; type?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c; });
    req.on('end', () => {
      seen.push({ method: req.method, type: req.headers['content-type'], body });
      if (req.url === '/redirect') { res.writeHead(302, { location: '/elsewhere' }).end(); return; }
      if (req.url === '/empty') { res.writeHead(204).end(); return; }
      if (req.url === '/slow') { setTimeout(() => res.end('late'), 2000).unref(); return; }
      res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': ['a=1', 'b=2'] }).end('{"active":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => { server.closeAllConnections(); server.close(); });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const form = new URLSearchParams({ token: 'abc', token_type_hint: 'access_token' });
  const ok = await leanFetch(`${base}/introspect`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' }, body: form });
  assert.ok(ok instanceof Response);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('content-type'), 'application/json');
  assert.equal(ok.headers.get('set-cookie'), 'a=1, b=2');
  assert.deepEqual(await ok.json(), { active: true });
  assert.deepEqual(seen[0], { method: 'POST', type: 'application/x-www-form-urlencoded;charset=UTF-8', body: 'token=abc&token_type_hint=access_token' });
  const moved = await leanFetch(`${base}/redirect`, { method: 'POST', body: form });
  assert.equal(moved.status, 302);
  assert.equal(seen.length, 2, 'the redirect was not followed');
  assert.equal((await leanFetch(`${base}/empty`, { method: 'POST', body: form })).status, 204);
  await assert.rejects(leanFetch(`${base}/slow`, { method: 'POST', body: form, signal: AbortSignal.timeout(100) }), { name: 'TimeoutError' });
  await assert.rejects(leanFetch('http://127.0.0.1:1/none', { method: 'POST', body: form }), (err: Error & { code?: string }) => err.code === 'ECONNREFUSED');
});

test('leanFetch (oauth4webapi\'s path) reads through the buffered call: a one-byte-chunked answer whole, the signal\'s listener gone after the call, an aborted signal never sends', async (t) => {
  const json = '{"active":true,"scope":"a b"}';
  const server = await rawHttpServer((socket) => {
    socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    socket.write(`${[...json].map((c) => `1\r\n${c}\r\n`).join('')}0\r\n\r\n`);
  });
  t.after(server.close);
  const base = server.origin;
  const dispatcher = new Agent();
  t.after(() => dispatcher.destroy());
  const lean = createLeanFetch({ dispatcher });
  const signal = AbortSignal.timeout(5000);
  const answer = await lean(`${base}/introspect`, { method: 'POST', body: 'token=x', signal });
  assert.deepEqual(await answer.json(), { active: true, scope: 'a b' });
  assert.equal(getEventListeners(signal, 'abort').length, 0, 'no listener left on a signal that outlives the call');
  const aborted = AbortSignal.abort(new Error('gone'));
  await assert.rejects(lean(`${base}/introspect`, { method: 'POST', body: 'token=y', signal: aborted }), { message: 'gone' });
  assert.deepEqual(server.heads.map((h) => h.split('\r\n')[0]), ['POST /introspect HTTP/1.1']);
});
