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
