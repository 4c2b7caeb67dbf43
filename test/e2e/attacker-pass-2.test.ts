/**
 * Findings of the second attacker's pass (raw sockets, real processes): the features of wave 3
 * (WebSocket tunnels, trace context, the shared introspection cache).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Program } from '../../libs/process/index.js';
import { getToken, startBackend, startDevAs, startEdge, startRedis, waitForLine } from '../support/topology.js';
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
