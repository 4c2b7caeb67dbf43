import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { adminUrl, edgeConfig, freePort, getToken, metric, microConfig, received, SCRIPTS, startBackend, startDevAs, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { wsConnect, OPCODE, type WsClient } from '../support/ws-client.js';
import { head, rawConnect } from '../support/raw-socket.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const live = { name: 'orders-live', pathPrefix: '/orders/live', scopes: ['orders:read'], websocket: { maxMessageBytes: 1024 } };
const brief = { name: 'orders-brief', pathPrefix: '/orders/brief', scopes: ['orders:read'] };

/** polls a gateway's /readyz until 200 (AS discovered, JWKS loaded): the ready line comes before those */
async function untilReady(program: Program): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await fetch(`${adminUrl(program)}/readyz`)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`${program.name} did not become ready`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function closes(backend: Program): Promise<{ code: number; reason: string }[]> {
  return (await fetch(`${backend.url}/__closes`)).json() as Promise<{ code: number; reason: string }[]>;
}

/** waits for the close frame a gateway sends, then for the socket's end */
async function closedWith(ws: WsClient): Promise<{ code: number | undefined; reason: string }> {
  const frame = await ws.waitForFrame((f) => f.opcode === OPCODE.close);
  assert.ok(frame, `no close frame; got ${JSON.stringify(ws.frames().map((f) => f.opcode))}`);
  await ws.raw.closed;
  return ws.closeOf(frame);
}

describe('WebSocket through the edge and a micro gateway (real processes, raw sockets)', () => {
  const dir = tempDir();
  let as: Program, backend: Program, edge: Program, micro: Program;
  let token: string;

  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    const [edgePort, microPort] = await Promise.all([freePort(), freePort()]);
    const microUrl = `http://127.0.0.1:${microPort}`;
    const up = { upstream: microUrl, audience: 'orders' };
    edge = await spawnProgram({
      name: 'edge', script: SCRIPTS.edge,
      args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, edgePort, microUrl, {
        fairness: { maxInFlightPerClient: 3 },
        routes: [
          { ...live, ...up },
          { ...brief, ...up, websocket: { maxLifetimeSeconds: 1 } },
          { name: 'orders-idle', pathPrefix: '/orders/idle', ...up, scopes: ['orders:read'], websocket: { idleTimeoutSeconds: 1 } },
          { name: 'orders', pathPrefix: '/orders', ...up, scopes: ['orders:read'] },
        ],
      }))],
    });
    micro = await spawnProgram({
      name: 'micro', script: SCRIPTS.micro,
      args: ['--config', writeYaml(dir, 'micro.yaml', microConfig(edge.url, microPort, backend.url, {
        routes: [{ name: 'orders-live-admin', pathPrefix: '/orders/live/admin', methods: ['GET'], scopes: ['orders:write'], websocket: {} }, { ...live, methods: ['GET'] }, { ...brief, methods: ['GET'], websocket: {} }, { name: 'orders-idle', pathPrefix: '/orders/idle', methods: ['GET'], scopes: ['orders:read'], websocket: {} }, { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'] }],
      }))],
    });
    token = await getToken(as, { scope: 'orders:read' });
    await Promise.all([untilReady(edge), untilReady(micro)]);
  });
  after(async () => { await Promise.all([edge, micro, backend, as].map((p) => p?.stop())); });

  test('an echo through both gateways: the 101 answers the client\'s key, the subprotocol and Sec-WebSocket-* pass, the backend gets the minted JWT', async () => {
    const ws = await wsConnect(edge.url, '/orders/live/feed?x=1', {
      Authorization: `Bearer ${token}`, 'Sec-WebSocket-Protocol': 'chat.v2, chat.v1', 'Sec-WebSocket-Extensions': 'x-phantom-test',
    });
    assert.equal(ws.status, 101);
    assert.equal(ws.headers['sec-websocket-accept'], createHash('sha1').update(ws.key + GUID).digest('base64'));
    assert.equal(ws.headers['sec-websocket-protocol'], 'chat.v2');
    assert.equal(ws.headers.upgrade, 'websocket');
    assert.match(ws.headers['x-request-id'] ?? '', /./);
    ws.send(OPCODE.text, 'hello through two gateways');
    const echo = await ws.waitForFrame((f) => f.opcode === OPCODE.text);
    assert.equal(echo?.payload.toString(), 'hello through two gateways');
    // a fragmented message under the limit, and a ping
    ws.send(OPCODE.binary, Buffer.alloc(500, 1), false);
    ws.send(OPCODE.continuation, Buffer.alloc(500, 2), true);
    ws.send(OPCODE.ping, 'are you there');
    assert.ok(await ws.waitForFrame((f) => f.opcode === OPCODE.pong && f.payload.toString() === 'are you there'));
    assert.ok(await ws.waitForFrame((f) => f.opcode === OPCODE.continuation && f.fin && f.payload.length === 500));
    const upgrade = (await received(backend)).find((r) => r.url === '/orders/live/feed?x=1');
    assert.ok(upgrade, 'the backend got the upgrade request');
    assert.match(String(upgrade.headers.authorization), /^Bearer ey[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(!String(upgrade.headers.authorization).includes(token), 'the client\'s opaque token never goes upstream');
    assert.equal(upgrade.headers['sec-websocket-key'], ws.key);
    assert.equal(upgrade.headers['sec-websocket-protocol'], 'chat.v2, chat.v1');
    assert.equal(upgrade.headers['sec-websocket-extensions'], 'x-phantom-test');
    assert.equal(upgrade.headers['sec-websocket-version'], '13');
    assert.equal(upgrade.headers.upgrade, 'websocket');
    ws.send(OPCODE.close, Buffer.from([0x03, 0xe8]));
    assert.equal((await closedWith(ws)).code, 1000);
  });

  test('an upgrade without a token gets 401 with the Bearer challenge and no tunnel; the backend is never asked', async () => {
    const before = (await received(backend)).length;
    const ws = await wsConnect(edge.url, '/orders/live/feed');
    assert.equal(ws.status, 401);
    assert.equal(ws.headers['www-authenticate'], 'Bearer realm="phantom-test"');
    assert.equal(JSON.parse(ws.body).error, 'unauthorized');
    assert.equal((await received(backend)).length, before);
  });

  test('a token without the route\'s scope gets 403 insufficient_scope', async () => {
    const ws = await wsConnect(edge.url, '/orders/live/feed', { Authorization: `Bearer ${await getToken(as, { scope: 'inventory:read' })}` });
    assert.equal(ws.status, 403);
    assert.equal(JSON.parse(ws.body).error, 'insufficient_scope');
  });

  test('the micro gateway checks the upgrade too: its own 403 (a scope the edge route does not ask for) is relayed, no tunnel', async () => {
    const before = (await received(backend)).length;
    const ws = await wsConnect(edge.url, '/orders/live/admin', { Authorization: `Bearer ${token}` });
    assert.equal(ws.status, 403);
    assert.equal(JSON.parse(ws.body).error, 'insufficient_scope');
    assert.match(ws.headers['www-authenticate'] ?? '', /^Bearer realm="phantom-test", error="insufficient_scope"/);
    assert.equal((await received(backend)).length, before);
  });

  test('an upgrade on a route without `websocket` gets 400 websocket_not_enabled before any token work', async () => {
    const before = (await received(backend)).length;
    const ws = await wsConnect(edge.url, '/orders/42');
    assert.equal(ws.status, 400);
    assert.deepEqual(JSON.parse(ws.body), { error: 'websocket_not_enabled', error_description: 'this route does not accept WebSocket upgrades' });
    assert.equal(ws.headers.connection, 'close');
    assert.equal((await received(backend)).length, before);
  });

  test('a malformed handshake, a body or early data on an upgrade gets 400 bad_request', async () => {
    const auth = `Authorization: Bearer ${token}`;
    const version8 = await wsConnect(edge.url, '/orders/live/x', {}, { lines: ['GET /orders/live/x HTTP/1.1', 'Host: a', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${'A'.repeat(22)}==`, 'Sec-WebSocket-Version: 8', auth] });
    assert.equal(version8.status, 400);
    assert.match(JSON.parse(version8.body).error_description, /Sec-WebSocket-Version/);
    const raw = await rawConnect(edge.url);
    // a request hidden behind the upgrade's head: it must never reach the upstream
    raw.write(head(['GET /orders/live/x HTTP/1.1', 'Host: a', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Key: ${'A'.repeat(22)}==`, 'Sec-WebSocket-Version: 13', auth])
      + head(['GET /orders/smuggled HTTP/1.1', 'Host: a']));
    await raw.closed;
    assert.match(raw.received(), /^HTTP\/1\.1 400 /);
    assert.match(raw.received(), /no body and no data before the 101 answer/);
    assert.equal((await received(backend)).filter((r) => r.url === '/orders/smuggled').length, 0);
  });

  test('an Upgrade to another protocol (h2c) is ignored: the request is served over HTTP/1.1 without it, and the connection closes', async () => {
    const raw = await rawConnect(edge.url);
    raw.write(head(['GET /orders/h2c HTTP/1.1', 'Host: a', 'Connection: Upgrade, HTTP2-Settings', 'Upgrade: h2c', 'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA', `Authorization: Bearer ${token}`]));
    await raw.closed;
    assert.match(raw.received(), /^HTTP\/1\.1 200 /);
    assert.match(raw.received(), /\r\nconnection: close\r\n/i);
    const served = (await received(backend)).find((r) => r.url === '/orders/h2c');
    assert.ok(served, 'the backend served it');
    assert.equal(served.headers.upgrade, undefined);
    assert.equal(served.headers['http2-settings'], undefined);
    const withBody = await rawConnect(edge.url);
    withBody.write(head(['POST /orders/h2c HTTP/1.1', 'Host: a', 'Connection: Upgrade', 'Upgrade: h2c', 'Content-Length: 5', `Authorization: Bearer ${token}`]) + 'hello');
    await withBody.closed;
    assert.match(withBody.received(), /^HTTP\/1\.1 400 [\s\S]*cannot carry a body/);
  });

  test('a message over maxMessageBytes closes the tunnel with 1009 on both sides (one frame, or fragments adding up)', async () => {
    const one = await wsConnect(edge.url, '/orders/live/big', { Authorization: `Bearer ${token}` });
    assert.equal(one.status, 101);
    one.send(OPCODE.binary, Buffer.alloc(2000));
    assert.deepEqual(await closedWith(one), { code: 1009, reason: 'messages are limited to 1024 bytes' });
    const parts = await wsConnect(edge.url, '/orders/live/big', { Authorization: `Bearer ${token}` });
    parts.send(OPCODE.text, 'a'.repeat(600), false);
    parts.send(OPCODE.continuation, 'b'.repeat(600), true);
    assert.equal((await closedWith(parts)).code, 1009);
    // the backend was told too, with a close frame (the oversized bytes never reached it)
    const deadline = Date.now() + 5000;
    while ((await closes(backend)).filter((c) => c.code === 1009).length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal((await closes(backend)).filter((c) => c.code === 1009).length, 2, JSON.stringify(await closes(backend)) + micro.lines.slice(-5).join('\n'));
  });

  test('an unmasked client frame breaks RFC 6455: closed with 1002', async () => {
    const ws = await wsConnect(edge.url, '/orders/live/raw', { Authorization: `Bearer ${token}` });
    ws.raw.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    assert.equal((await closedWith(ws)).code, 1002);
  });

  test('a tunnel is closed with 1008 at the route\'s maximum lifetime; its log line spans the tunnel, the duration metric only the handshake', async () => {
    const ws = await wsConnect(edge.url, '/orders/brief/feed', { Authorization: `Bearer ${token}` });
    assert.equal(ws.status, 101);
    assert.deepEqual(await closedWith(ws), { code: 1008, reason: 'the connection reached its maximum lifetime' });
    const line = JSON.parse(await waitForLine(edge, '"route":"orders-brief"')) as { status: number; duration_ms: number; reason: string };
    assert.equal(line.status, 101);
    assert.equal(line.reason, 'websocket_lifetime');
    // the tunnel lived at least its 1 s lifetime after the 101; the metric stopped at the 101
    const observed = await metric(edge, 'phantom_request_duration_seconds_sum', { route: 'orders-brief' });
    assert.ok(observed * 1000 <= line.duration_ms - 900, `metric ${observed * 1000} ms, log line ${line.duration_ms} ms`);
  });

  test('a tunnel with no traffic for the route\'s idle timeout is closed with 1001 (after serving a message)', async () => {
    const ws = await wsConnect(edge.url, '/orders/idle/feed', { Authorization: `Bearer ${token}` });
    assert.equal(ws.status, 101);
    ws.send(OPCODE.text, 'one message');
    assert.ok(await ws.waitForFrame((f) => f.opcode === OPCODE.text));
    assert.deepEqual(await closedWith(ws), { code: 1001, reason: 'the connection was idle for too long' });
    const line = JSON.parse(await waitForLine(edge, '"route":"orders-idle"')) as { status: number; reason: string };
    assert.equal(line.status, 101);
    assert.equal(line.reason, 'websocket_idle');
  });

  test('a tunnel does not outlive its token: closed with 1008 when the introspected exp passes', async () => {
    const shortLived = await getToken(as, { scope: 'orders:read', client: ['short-lived', 'short-secret'] });
    const ws = await wsConnect(edge.url, '/orders/live/feed', { Authorization: `Bearer ${shortLived}` });
    assert.equal(ws.status, 101);
    ws.send(OPCODE.text, 'still valid');
    assert.ok(await ws.waitForFrame((f) => f.opcode === OPCODE.text));
    assert.deepEqual(await closedWith(ws), { code: 1008, reason: 'the access token expired' });
  });

  test('open tunnels count against maxInFlightPerClient: one more upgrade gets 429', async () => {
    const open = [];
    for (let i = 0; i < 3; i++) open.push(await wsConnect(edge.url, '/orders/live/held', { Authorization: `Bearer ${token}` }));
    assert.deepEqual(open.map((w) => w.status), [101, 101, 101]);
    const fourth = await wsConnect(edge.url, '/orders/live/held', { Authorization: `Bearer ${token}` });
    assert.equal(fourth.status, 429);
    assert.equal(JSON.parse(fourth.body).error, 'rate_limited');
    for (const ws of open) ws.raw.socket.destroy();
  });

  test('a draining edge (SIGTERM) closes its open tunnels with 1001 going away, then exits cleanly', async () => {
    const ws = await wsConnect(edge.url, '/orders/live/drain', { Authorization: `Bearer ${token}` });
    assert.equal(ws.status, 101);
    const exit = edge.stop(20_000);
    assert.deepEqual(await closedWith(ws), { code: 1001, reason: 'the gateway is shutting down' });
    assert.equal(await exit, 0);
  });
});
