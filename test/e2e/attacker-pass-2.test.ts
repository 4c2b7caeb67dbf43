/**
 * Findings of the second attacker's pass (raw sockets, real processes): the features of wave 3
 * (WebSocket tunnels, trace context, the shared introspection cache).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { adminUrl, edgeConfig, freePort, getToken, microConfig, SCRIPTS, startBackend, startDevAs, startEdge, startRedis, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { head, rawConnect } from '../support/raw-socket.js';

/** one raw GET with this token on a fresh connection; resolves with the status line, or '' when nothing came within `ms` */
async function statusOf(url: string, path: string, token: string, extra: string[] = [], ms = 10_000): Promise<string> {
  const c = await rawConnect(url);
  c.write(head([`GET ${path} HTTP/1.1`, `Host: ${new URL(url).host}`, `Authorization: Bearer ${token}`, 'Connection: close', ...extra]));
  const answered = await c.waitFor('\r\n\r\n', ms);
  c.socket.destroy();
  return answered ? c.received().split('\r\n')[0]! : '';
}

/**
 * A Redis that stops answering on an open connection (SIGSTOP here; in production a paused VM, a Redis
 * stuck on a slow disk, a link that drops packets) stays `ready` to ioredis: its commands waited forever,
 * and so did every request with a token new to the edge ("any Redis failure falls back to a local call"
 * held for a lost connection only). Each command is now bounded by `connectTimeoutMs`.
 */
describe('a stalled Redis behind the shared introspection cache (real redis-server, AS, edge, backend)', () => {
  let redis: Program, as: Program, backend: Program, edge: Program;
  let stopped = false;
  before(async () => {
    [redis, as, backend] = await Promise.all([startRedis(), startDevAs(), startBackend()]);
    edge = await startEdge(as.url, backend.url, { introspection: { sharedCache: { redis: { url: redis.url, connectTimeoutMs: 300 } } } });
    await waitForLine(edge, 'shared introspection cache connected', 5000);
  });
  after(async () => {
    if (stopped) redis.child.kill('SIGCONT');
    await Promise.all([edge, as, backend, redis].map((p) => p?.stop()));
  });

  test('a new token is still introspected and served while Redis is stalled, and the cache is shared again once it answers', async () => {
    assert.match(await statusOf(edge.url, '/orders/1', await getToken(as, { scope: 'orders:read' })), /^HTTP\/1\.1 200 /);
    redis.child.kill('SIGSTOP');
    stopped = true;
    const token = await getToken(as, { scope: 'orders:read' });
    assert.match(await statusOf(edge.url, '/orders/1', token), /^HTTP\/1\.1 200 /, 'answered (a local introspection) while Redis is stalled');
    redis.child.kill('SIGCONT');
    stopped = false;
    assert.match(await statusOf(edge.url, '/orders/1', await getToken(as, { scope: 'orders:read' })), /^HTTP\/1\.1 200 /);
  });
});

/** one raw GET through the edge; the headers the echo backend received */
async function backendHeaders(url: string, token: string, extra: string[]): Promise<Record<string, string>> {
  const c = await rawConnect(url);
  c.write(head(['GET /orders/1 HTTP/1.1', `Host: ${new URL(url).host}`, `Authorization: Bearer ${token}`, 'Connection: close', ...extra]));
  await c.closed;
  const text = c.received();
  assert.match(text, /^HTTP\/1\.1 200 /);
  return (JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as { headers: Record<string, string> }).headers;
}

/**
 * `tracestate` went upstream untouched even when the edge had started a new trace (no `traceparent`, or an
 * invalid one): a client could attach vendor state (a sampling priority, a vendor's parent id) to a trace
 * the gateway started. W3C Trace Context discards a `tracestate` without a valid `traceparent`.
 */
describe('trace context from a client (real AS, edge, echo backend; raw sockets)', () => {
  let as: Program, backend: Program, edge: Program;
  let token: string;
  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    edge = await startEdge(as.url, backend.url);
    token = await getToken(as, { scope: 'orders:read' });
  });
  after(async () => { await Promise.all([edge, as, backend].map((p) => p?.stop())); });

  const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

  test('with a valid traceparent the trace is continued and its tracestate goes on', async () => {
    const got = await backendHeaders(edge.url, token, [`traceparent: ${valid}`, 'tracestate: vendor=abc']);
    assert.match(got.traceparent ?? '', /^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    assert.equal(got.tracestate, 'vendor=abc');
  });

  test('a tracestate without a traceparent, or with an invalid, duplicated or upper-case one, is dropped with the new trace', async () => {
    for (const parent of [[], ['traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331'], [`traceparent: ${valid}`, `traceparent: ${valid}`], [`traceparent: ${valid.toUpperCase()}`]]) {
      const got = await backendHeaders(edge.url, token, [...parent, 'tracestate: dd=s:2;o:attacker', 'tracestate: ot=th:0']);
      assert.doesNotMatch(got.traceparent ?? '', /0af7651916cd43dd8448eb211c80319c/i, `a new trace for ${JSON.stringify(parent)}`);
      assert.equal(got.tracestate, undefined, `no tracestate upstream for ${JSON.stringify(parent)}`);
    }
  });
});

/** polls a gateway's /readyz until 200 (AS discovered, JWKS loaded) */
async function untilReady(program: Program): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${adminUrl(program)}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${program.name} did not become ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * A client that sent its FIN right behind the upgrade request (before the 101) left a tunnel that never
 * ended: Node had emitted the socket's 'end' before the tunnel listened for it. The edge, the micro gateway
 * and the backend each kept their sockets, and the client_id its in-flight slot, until the route's lifetime
 * (default one hour) or the token's exp, while the client kept nothing (its socket closes on its own).
 */
describe('a WebSocket client that half-closes before the 101 (real AS, edge, micro, backend; raw sockets)', () => {
  const dir = tempDir();
  let as: Program, backend: Program, edge: Program, micro: Program;
  let token: string;
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    const [edgePort, microPort] = await Promise.all([freePort(), freePort()]);
    const microUrl = `http://127.0.0.1:${microPort}`;
    const live = { name: 'orders-live', pathPrefix: '/orders/live', scopes: ['orders:read'], websocket: {} };
    edge = await spawnProgram({
      name: 'edge', script: SCRIPTS.edge,
      args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, {
        fairness: { maxInFlightPerClient: 2 },
        routes: [{ ...live, upstream: microUrl, audience: 'orders' }, { name: 'orders', pathPrefix: '/orders', upstream: microUrl, audience: 'orders', scopes: ['orders:read'] }],
      }))],
    });
    micro = await spawnProgram({
      name: 'micro', script: SCRIPTS.micro,
      args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edge.url, microPort, backend.url, { routes: [{ ...live, methods: ['GET'] }, { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'] }] }))],
    });
    token = await getToken(as, { scope: 'orders:read' });
    await Promise.all([untilReady(edge), untilReady(micro)]);
  });
  after(async () => { await Promise.all([edge, micro, backend, as].map((p) => p?.stop())); });

  test('the edge ends the tunnel (the client sees its socket close), and the client_id gets its in-flight slots back', async () => {
    const clients = await Promise.all([0, 1].map(() => rawConnect(edge.url)));
    for (const c of clients) {
      c.write(head(['GET /orders/live/feed HTTP/1.1', `Host: ${new URL(edge.url).host}`, `Authorization: Bearer ${token}`, 'Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', `Sec-WebSocket-Key: ${key}`]));
      c.socket.end();
    }
    for (const c of clients) {
      assert.ok(await c.waitFor('HTTP/1.1 101 '), 'the upgrade was authorized and switched');
      const closed = await Promise.race([c.closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
      assert.equal(closed, true, 'the edge ended the half-closed tunnel');
    }
    // both slots of this client_id are free again (the edge releases them as the sockets close: polled)
    const deadline = Date.now() + 5000;
    let status = await statusOf(edge.url, '/orders/1', token);
    while (!/ 200 /.test(status) && Date.now() < deadline) status = await statusOf(edge.url, '/orders/1', token);
    assert.match(status, /^HTTP\/1\.1 200 /);
  });
});

/**
 * An upgrade request pipelined behind a request still being answered, in one write, killed the process:
 * the 'upgrade' listener gave the socket a second ServerResponse while the first still held it
 * (ERR_HTTP_SOCKET_ASSIGNED, uncaught). No token needed: a one-packet remote crash of the edge (and of a
 * micro gateway). The upgrade now gets no answer and the connection closes after the first response.
 */
describe('an upgrade pipelined behind a request (real AS, edge, echo backend; raw sockets)', () => {
  let as: Program, backend: Program, edge: Program;
  let token: string;
  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    edge = await startEdge(as.url, backend.url);
    token = await getToken(as, { scope: 'orders:read' });
  });
  after(async () => { await Promise.all([edge, as, backend].map((p) => p?.stop())); });

  test('the first request is answered (Connection: close), the upgrade is not, and the edge keeps serving', async () => {
    const host = new URL(edge.url).host;
    const upgrades = [
      ['Connection: Upgrade', 'Upgrade: websocket', 'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=='],
      ['Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 5'],
    ];
    for (const upgrade of upgrades) {
      const c = await rawConnect(edge.url);
      c.write(head(['GET /orders/first HTTP/1.1', `Host: ${host}`, `Authorization: Bearer ${token}`]) + head(['GET /orders/second HTTP/1.1', `Host: ${host}`, ...upgrade]));
      const closed = await Promise.race([c.closed.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000))]);
      assert.equal(closed, true, 'the connection was closed');
      const text = c.received();
      assert.deepEqual([...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]), ['200'], `one answer, the first request's (${upgrade[1]})`);
      assert.match(text, /\r\nConnection: close\r\n/i);
      assert.match(text, /GET \/orders\/first HTTP\/1\.1/);
      assert.match(await statusOf(edge.url, '/orders/1', token), /^HTTP\/1\.1 200 /, 'the edge is still serving');
    }
  });
});
