import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { getToken, received, startTopology, type Topology } from '../support/topology.js';
import { head, rawConnect } from '../support/raw-socket.js';

// the micro gateway's upload route has a small body limit; the edge keeps its default (1 MiB)
const MICRO_ROUTES = [
  { name: 'orders-upload', pathPrefix: '/orders/upload', scopes: ['orders:read'], maxBodyBytes: 500 },
  { name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'] },
];

/** Request bodies and refused requests, on real processes (AS → edge → micro → backend) and raw sockets. */
describe('bodies, 100-continue and refused requests at the DMZ', () => {
  let t: Topology;
  let token: string;
  before(async () => {
    t = await startTopology({
      edge: { server: { lingerMs: 1000 } },
      micro: { routes: MICRO_ROUTES },
    });
    token = await getToken(t.as, { scope: 'orders:read orders:write' });
  });
  after(async () => { await t?.stop(); });

  test('no token and Content-Length 10^12: 401 with Connection: close, socket closed soon, bounded bytes read', async (ctx) => {
    const c = await rawConnect(t.edge.url);
    const start = performance.now();
    c.write(head(['POST /orders HTTP/1.1', 'Host: gw.example', 'Content-Length: 1000000000000', 'Content-Type: application/octet-stream']));
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let open = true;
    void c.closed.then(() => { open = false; });
    // write as fast as the server takes it, for at most 10 s
    while (open && performance.now() - start < 10_000) {
      if (!c.write(chunk)) await new Promise((r) => { c.socket.once('drain', r); c.socket.once('close', r); });
    }
    const closedAt = await c.closed;
    const text = c.received();
    ctx.diagnostic(`closed after ${Math.round(closedAt - start)} ms; ${c.socket.bytesWritten} bytes left the client`);
    assert.match(text, /^HTTP\/1\.1 401 /);
    assert.match(text, /\r\nconnection: close\r\n/i);
    assert.match(text, /"error":"unauthorized"/);
    assert.ok(closedAt - start < 5000, `the server closed the socket after ${Math.round(closedAt - start)} ms`);
    // what reached the server's kernel at most: its receive buffer plus the lingering read (256 KiB)
    assert.ok(c.socket.bytesWritten < 32 * 2 ** 20, `the client got ${c.socket.bytesWritten} bytes out before the close`);
  });

  test('Expect: 100-continue without a token: 401 and no 100 Continue on the wire', async () => {
    const c = await rawConnect(t.edge.url);
    c.write(head(['POST /orders HTTP/1.1', 'Host: gw.example', 'Content-Length: 10', 'Expect: 100-continue']));
    assert.ok(await c.waitFor('"error":"unauthorized"'), c.received());
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 401 /);
    assert.doesNotMatch(c.received(), /100 Continue/);
  });

  test('Expect: 100-continue with a valid token: 100 Continue, then the body is forwarded', async () => {
    const c = await rawConnect(t.edge.url);
    c.write(head(['POST /orders/continue HTTP/1.1', 'Host: gw.example', `Authorization: Bearer ${token}`, 'Content-Length: 10', 'Expect: 100-continue', 'Connection: close']));
    assert.ok(await c.waitFor('HTTP/1.1 100 Continue\r\n\r\n'), `no 100 Continue: ${c.received()}`);
    assert.doesNotMatch(c.received(), /HTTP\/1\.1 [2-5]\d\d/, 'nothing but 100 Continue before the body');
    c.write('0123456789');
    await c.closed;
    const final = c.received().split('HTTP/1.1 100 Continue\r\n\r\n')[1]!;
    assert.match(final, /^HTTP\/1\.1 200 /);
    assert.match(final, /"bodyBytes": 10\b/);
  });

  test('maxBodyBytes (a micro route sets its own): Content-Length over it → 413 before the backend is called', async () => {
    const before = (await received(t.backend)).length;
    const c = await rawConnect(t.edge.url);
    c.write(head(['POST /orders/upload/big HTTP/1.1', 'Host: gw.example', `Authorization: Bearer ${token}`, 'Content-Length: 800']));
    c.write('x'.repeat(800));
    assert.ok(await c.waitFor('payload_too_large'), c.received());
    assert.match(c.received(), /^HTTP\/1\.1 413 /);
    assert.equal((await received(t.backend)).length, before, 'the backend saw nothing');
    c.socket.destroy();
  });

  test('maxBodyBytes (edge default 1 MiB): a chunked body over it is cut off with 413; the backend never answers it', async () => {
    const c = await rawConnect(t.edge.url);
    c.write(head(['POST /orders/chunked HTTP/1.1', 'Host: gw.example', `Authorization: Bearer ${token}`, 'Transfer-Encoding: chunked']));
    const piece = Buffer.alloc(64 * 1024, 0x62);
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    let sent = 0;
    let open = true;
    void c.closed.then(() => { open = false; });
    // 2 MiB at most (twice the limit), stopping as soon as the gateway answers
    while (open && sent < 2 * 2 ** 20 && !c.received().includes('HTTP/1.1')) {
      sent += piece.length;
      if (!c.write(chunk)) await new Promise((r) => { c.socket.once('drain', r); c.socket.once('close', r); });
    }
    assert.ok(await c.waitFor('payload_too_large', 10_000), c.received());
    assert.match(c.received(), /^HTTP\/1\.1 413 /);
    assert.match(c.received(), /\r\nconnection: close\r\n/i);
    assert.doesNotMatch(c.received(), /bodyBytes/, 'no backend answer for the refused body');
    await c.closed;
  });

  test('the edge answers POST /.well-known/jwks.json with a JSON 405 (the one error model)', async () => {
    const c = await rawConnect(t.edge.url);
    c.write(head(['POST /.well-known/jwks.json HTTP/1.1', 'Host: gw.example', 'Content-Length: 2', 'Connection: close']));
    c.write('{}');
    await c.closed;
    assert.match(c.received(), /^HTTP\/1\.1 405 /);
    assert.match(c.received(), /\r\nallow: GET, HEAD\r\n/i);
    assert.match(c.received(), /\r\n\r\n\{"error":"method_not_allowed","error_description":"[^"]+"\}$/);
  });
});
