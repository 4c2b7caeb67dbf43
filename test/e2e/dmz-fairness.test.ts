import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { asStats, getToken, received, startBackend, startDevAs, startEdge } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { head, rawConnect, type RawClient } from '../support/raw-socket.js';
import type { Program } from '../../libs/process/index.js';

/** One GET over a fresh socket from `localAddress` (another peer on loopback): status and milliseconds. */
function timedGet(url: string, token: string, localAddress = '127.0.0.1'): Promise<{ status: number; ms: number; retryAfter: string | undefined; code: string }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(url, { headers: bearer(token), agent: false, localAddress }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () => {
        const code = body.startsWith('{"error"') ? (JSON.parse(body) as { error: string }).error : '';
        resolve({ status: res.statusCode!, ms: performance.now() - start, retryAfter: res.headers['retry-after'], code });
      });
    });
    req.on('error', reject).end();
  });
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return check();
}

const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

describe('fairness and the AS under abuse (real AS, edge, backend; raw sockets)', () => {
  const started: Program[] = [];
  let as: Program; let backend: Program;
  let tokenA: string;
  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    started.push(as, backend);
    tokenA = await getToken(as, { scope: 'orders:read' });
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  /** client B (another client_id): a fresh token (its client's tokens live 3 s), a first request, then timed ones */
  async function clientB(edge: Program): Promise<number[]> {
    const token = await getToken(as, { scope: 'orders:read', client: ['short-lived', 'short-secret'] });
    const times: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await timedGet(`${edge.url}/orders/b-${i}`, token);
      assert.equal(r.status, 200);
      times.push(r.ms);
    }
    return times;
  }

  test('slow bodies: 260 trickling requests of one client get 64 slots, another client is served at its normal latency', async (t) => {
    const edge = await startEdge(as.url, backend.url);
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/warm`, { headers: bearer(tokenA) })).status, 200);
    const baseline = await clientB(edge);
    const sockets: RawClient[] = await Promise.all(Array.from({ length: 260 }, () => rawConnect(edge.url)));
    try {
      for (const [i, c] of sockets.entries()) {
        c.write(head([`GET /orders/slow-${i} HTTP/1.1`, 'Host: gw.example', `Authorization: Bearer ${tokenA}`, 'Content-Length: 100000']));
        c.write('x');
      }
      const refused = () => sockets.filter((c) => c.received().startsWith('HTTP/1.1 429 ')).length;
      await until(() => refused() >= 196, 15_000);
      assert.equal(refused(), 260 - 64, 'one client holds at most 64 requests in flight (fairness.maxInFlightPerClient)');
      const trickle = setInterval(() => { for (const c of sockets) if (!c.socket.destroyed) c.write('x'); }, 500);
      const during = await clientB(edge).finally(() => clearInterval(trickle));
      t.diagnostic(`client B: before ${baseline.map((ms) => ms.toFixed(1)).join('/')} ms; during the trickle ${during.map((ms) => ms.toFixed(1)).join('/')} ms (machine shared with other test runs)`);
      assert.ok(Math.max(...during) < 1000, `client B waited ${Math.max(...during).toFixed(0)} ms (41 s before the fix)`);
    } finally {
      for (const c of sockets) c.socket.destroy();
    }
  });

  test('a stalled body → 408 request_timeout after server.bodyIdleTimeoutMs, with Connection: close', async () => {
    const edge = await startEdge(as.url, backend.url, { server: { bodyIdleTimeoutMs: 400 } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/warm`, { headers: bearer(tokenA) })).status, 200);
    const c = await rawConnect(edge.url);
    const start = performance.now();
    c.write(head(['POST /orders/stall HTTP/1.1', 'Host: gw.example', `Authorization: Bearer ${tokenA}`, 'Content-Length: 100']));
    c.write('0123456789');
    assert.ok(await c.waitFor('request_timeout', 5000), c.received());
    assert.match(c.received(), /^HTTP\/1\.1 408 /);
    assert.match(c.received(), /\r\nconnection: close\r\n/i);
    await c.closed;
    assert.ok(performance.now() - start >= 390, 'not before the idle timeout');
  });

  test('upstream queue: a request that waits longer than upstream.queueTimeoutMs for a socket → 503 with Retry-After', async () => {
    const edge = await startEdge(as.url, backend.url, { upstream: { maxSockets: 2, queueTimeoutMs: 300 } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/warm`, { headers: bearer(tokenA) })).status, 200);
    const seen = (await received(backend)).length;
    const slow = [1, 2].map((i) => timedGet(`${edge.url}/orders/q${i}?delay=2000`, tokenA));
    assert.ok(await until(async () => (await received(backend)).length >= seen + 2, 5000), 'both sockets busy');
    const queued = await timedGet(`${edge.url}/orders/q3`, tokenA);
    assert.equal(queued.status, 503);
    assert.equal(queued.code, 'overloaded');
    assert.equal(queued.retryAfter, '1');
    assert.ok(queued.ms >= 290, `answered after ${queued.ms.toFixed(0)} ms of waiting`);
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
  });

  test('per-client in-flight cap: one client over fairness.maxInFlightPerClient → 429 with Retry-After; another client passes', async () => {
    const edge = await startEdge(as.url, backend.url, { fairness: { maxInFlightPerClient: 2 } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/warm`, { headers: bearer(tokenA) })).status, 200);
    const seen = (await received(backend)).length;
    const slow = [1, 2].map((i) => timedGet(`${edge.url}/orders/f${i}?delay=1500`, tokenA));
    assert.ok(await until(async () => (await received(backend)).length >= seen + 2, 5000), 'two requests in flight');
    const third = await timedGet(`${edge.url}/orders/f3`, tokenA);
    assert.equal(third.status, 429);
    assert.equal(third.code, 'rate_limited');
    assert.equal(third.retryAfter, '1');
    await clientB(edge); // asserts 200 for another client_id meanwhile
    assert.deepEqual((await Promise.all(slow)).map((r) => r.status), [200, 200]);
    assert.equal((await timedGet(`${edge.url}/orders/f4`, tokenA)).status, 200, 'slots come back when responses close');
  });

  test('junk-token flood from one peer: the AS sees at most the per-peer rate; cached valid traffic keeps its latency', async (t) => {
    const edge = await startEdge(as.url, backend.url, { introspection: { unknownTokensPerPeer: { limit: 10, per: 1 } } });
    started.push(edge);
    assert.equal((await send(`${edge.url}/orders/warm`, { headers: bearer(tokenA) })).status, 200);
    const quiet: number[] = [];
    for (let i = 0; i < 20; i++) quiet.push((await timedGet(`${edge.url}/orders/valid`, tokenA)).ms);
    const calls0 = (await asStats(as)).introspections;
    const start = performance.now();
    let flooding = true;
    const statuses = new Map<number, number>();
    // the flood: 400 distinct junk tokens from 127.0.0.2, 10 at a time
    let next = 0;
    const flood = Promise.all(Array.from({ length: 10 }, async () => {
      while (next < 400) {
        next++;
        const r = await timedGet(`${edge.url}/orders/junk`, randomBytes(24).toString('base64url'), '127.0.0.2');
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    })).finally(() => { flooding = false; });
    // meanwhile: a cached valid token from 127.0.0.1, one request after another
    const valid: number[] = [];
    let newPeerToken = 0;
    while (flooding) {
      const r = await timedGet(`${edge.url}/orders/valid`, tokenA);
      assert.equal(r.status, 200);
      valid.push(r.ms);
      if (valid.length === 20) newPeerToken = (await timedGet(`${edge.url}/orders/new`, await getToken(as, { scope: 'orders:read' }))).status;
    }
    await flood;
    const seconds = (performance.now() - start) / 1000;
    const calls = (await asStats(as)).introspections - calls0;
    t.diagnostic(`flood of 400 junk tokens in ${seconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(statuses))}; AS calls ${calls}; `
      + `cached valid token before: p50 ${percentile(quiet, 0.5).toFixed(1)} ms, p99 ${percentile(quiet, 0.99).toFixed(1)} ms; `
      + `during: ${valid.length} requests, p50 ${percentile(valid, 0.5).toFixed(1)} ms, p99 ${percentile(valid, 0.99).toFixed(1)} ms (machine shared with other test runs)`);
    // fixed 1 s windows: at most 10 per window the flood touched, plus the one new token from the other peer
    assert.ok(calls <= 10 * (Math.ceil(seconds) + 1) + 1, `${calls} introspection calls in ${seconds.toFixed(1)} s`);
    assert.ok((statuses.get(429) ?? 0) > 0, 'junk tokens over the rate are refused before the AS');
    // 503: the AS itself timed out (this machine is loaded) — the honest answer for a token that could not be checked
    assert.deepEqual([...statuses.keys()].filter((s) => s !== 401 && s !== 429 && s !== 503), [], 'junk tokens are refused: 401, 429 (or 503), never passed');
    assert.equal(newPeerToken, 200, 'a new token from another peer is still introspected during the flood');
    // latency is reported above; the suite runs on shared machines, so only a way-off median fails the test —
    // the p99 target (< 50 ms) is measured by the benchmark: `npm run bench:flood` (test/bench/flood-bench.ts)
    assert.ok(percentile(valid, 0.5) < 1000, `median ${percentile(valid, 0.5).toFixed(1)} ms during the flood`);
  });
});
