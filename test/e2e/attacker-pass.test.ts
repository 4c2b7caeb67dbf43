import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { getToken, received, startTopology, type Topology } from '../support/topology.js';
import { bearer, send } from '../support/http.js';

/** writes `bytes` on one raw connection and resolves with everything the server sent until it closed (or `ms` passed) */
function exchange(url: string, bytes: string, ms = 3000): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    let text = '';
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    socket.on('data', (d) => { text += d.toString('latin1'); });
    const done = () => { clearTimeout(timer); socket.destroy(); resolve(text); };
    const timer = setTimeout(done, ms);
    socket.on('close', done);
    socket.on('error', done);
  });
}

/**
 * Findings of an attacker's pass with raw sockets (client libraries neither pipeline nor send odd codings).
 * A request pipelined behind a refusal on one keep-alive connection was served after its connection had been
 * closed and never left the in-flight count: 64 of them locked a client_id out with 429, and one stopped a drain.
 */
describe('attacker-pass findings: pipelining behind refusals, transfer codings (real AS, edge, micro, backend; raw sockets)', () => {
  let t: Topology;
  before(async () => { t = await startTopology({ edge: { fairness: { maxInFlightPerClient: 4 } } }); });
  after(async () => { await t?.stop(); });

  test('behind a refusal of a bodiless request, the next request is served on the same connection', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const host = new URL(t.edge.url).host;
    const text = await exchange(t.edge.url, `GET /orders/1 HTTP/1.1\r\nHost: ${host}\r\n\r\nGET /orders/2 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
    assert.deepEqual([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['401', '200']);
  });

  test('behind a refused request with a body (connection closed), the next request gets no answer and no work, and holds no slot', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const host = new URL(t.edge.url).host;
    const seen = (await received(t.backend)).length;
    // more connections than the client's in-flight cap (4): a leaked slot per connection would lock the client out
    for (let i = 0; i < 6; i++) {
      const text = await exchange(t.edge.url, `POST /orders/1 HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\n\r\nhelloGET /orders/leak HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\n\r\n`);
      assert.deepEqual([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['401'], text);
    }
    assert.equal((await received(t.backend)).length, seen, 'the pipelined request reached the backend');
    assert.equal((await send(`${t.edge.url}/orders/3`, { headers: bearer(token) })).status, 200, 'the client is locked out');
  });

  test('Transfer-Encoding other than chunked (gzip, chunked) → 501 unsupported_transfer_coding, nothing forwarded', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const host = new URL(t.edge.url).host;
    const seen = (await received(t.backend)).length;
    const text = await exchange(t.edge.url, `POST /orders/1 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: Bearer ${token}\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n`);
    assert.match(text, /^HTTP\/1\.1 501 /);
    assert.match(text, /"error":"unsupported_transfer_coding"/);
    assert.equal((await received(t.backend)).length, seen);
  });

  test('a drain ends although a pipelined request sat behind a refusal', async () => {
    const host = new URL(t.edge.url).host;
    await exchange(t.edge.url, `POST /orders/1 HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\n\r\nhelloGET /orders/2 HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
    const started = Date.now();
    const code = await t.edge.stop(30_000);
    assert.equal(code, 0, 'the edge did not exit 0 on SIGTERM');
    assert.ok(Date.now() - started < 15_000, `the drain took ${Date.now() - started} ms (drainTimeoutMs is 10 s)`);
  });
});
