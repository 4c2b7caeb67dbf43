import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  SCRIPTS, asStats, freePort, metric, received, startEdge as startEdgeWith, getToken, microConfig, mintedJwt, startBackend, startDevAs, startEdge, startRedis, tempDir, untilCount, waitForLine, writeYaml,
} from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';

describe('throttling at the micro gateway and the edge (real edge-minted JWTs, real Redis)', () => {
  const started: Program[] = [];
  let as: Program; let backend: Program; let edge: Program;
  const dir = tempDir();
  before(async () => {
    [as, backend] = await Promise.all([startDevAs(), startBackend()]);
    edge = await startEdge(as.url, backend.url);
    started.push(as, backend, edge);
  });
  after(async () => { await Promise.all(started.map((p) => p.stop())); });

  async function startMicro(routes: object[], extra: Record<string, unknown> = {}): Promise<Program> {
    const port = await freePort();
    const micro = await spawnProgram({ name: `micro-${port}`, script: SCRIPTS.micro, args: ['--config', writeYaml(dir, `micro-${port}.yaml`, {
      ...microConfig(edge.url, port, backend.url, extra), routes,
    })] });
    started.push(micro);
    return micro;
  }
  const jwtFor = async (client: [string, string] = ['demo-app', 'demo-secret']) => mintedJwt(edge.url, await getToken(as, { scope: 'orders:read orders:write', client }));

  test('exact per-client limit on one instance: N pass, the next is 429 with Retry-After and RateLimit headers', async () => {
    const micro = await startMicro([{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 5, per: '10m' } } }]);
    const jwt = await jwtFor();
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await send(`${micro.url}/orders/${i}`, { headers: bearer(jwt) }));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 200, 200, 429]);
    assert.equal(replies[0]!.headers['ratelimit-policy'], '"orders-client";q=5;w=600');
    assert.match(String(replies[0]!.headers.ratelimit), /^"orders-client";r=4;t=\d+$/);
    const over = replies[5]!;
    assert.match(String(over.headers['retry-after']), /^\d+$/);
    assert.ok(Number(over.headers['retry-after']) <= 120, 'one interval (10 min / 5) at most');
    assert.match(String(over.headers.ratelimit), /^"orders-client";r=0;t=\d+$/);
    assert.equal(over.json().error, 'rate_limited');
    // another client has its own budget
    const other = await jwtFor(['short-lived', 'short-secret']);
    assert.equal((await send(`${micro.url}/orders/x`, { headers: bearer(other) })).status, 200);
  });

  test('two instances sharing Redis admit the limit across both (±5 %)', async () => {
    const redis = await startRedis();
    started.push(redis);
    const routes = [{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 100, per: '1h' } } }];
    const throttle = { redis: { url: redis.url } };
    const [a, b] = await Promise.all([startMicro(routes, { throttle }), startMicro(routes, { throttle })]);
    await Promise.all([waitForLine(a, 'redis connected'), waitForLine(b, 'redis connected')]);
    const jwt = await jwtFor();
    const statuses = await Promise.all(Array.from({ length: 300 }, (_, i) => send(`${(i % 2 ? a : b).url}/orders/${i}`, { headers: bearer(jwt) }).then((r) => r.status)));
    const ok = statuses.filter((s) => s === 200).length;
    assert.ok(ok >= 95 && ok <= 105, `admitted ${ok} of 300 with a shared limit of 100`);
    assert.equal(statuses.filter((s) => s !== 200 && s !== 429).length, 0);
  });

  test('Redis killed mid-traffic: no 5xx, local limits take over (logged once), shared again when it is back', async () => {
    const redisPort = await freePort();
    let redis = await startRedis(redisPort);
    const routes = [{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 100_000, per: '1m' } } }];
    const micro = await startMicro(routes, { throttle: { redis: { url: redis.url } } });
    await waitForLine(micro, 'redis connected');
    const jwt = await jwtFor();
    const statuses = new Map<number, number>();
    let stop = false;
    const traffic = Array.from({ length: 4 }, async () => {
      while (!stop) {
        const r = await send(`${micro.url}/orders/1`, { headers: bearer(jwt) });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    });
    const done = () => [...statuses.values()].reduce((a, b) => a + b, 0);
    await untilCount(done, 20); // traffic flows through shared limits
    await redis.stop();
    await waitForLine(micro, 'redis unreachable', 8000);
    await untilCount(done, done() + 20); // and through local limits while Redis is down
    redis = await startRedis(redisPort);
    started.push(redis);
    await waitForLine(micro, 'redis connected', 8000, 2);
    await untilCount(done, done() + 20); // and shared again
    stop = true;
    await Promise.all(traffic);
    assert.deepEqual([...statuses.keys()], [200], JSON.stringify([...statuses]));
    assert.equal(micro.lines.filter((l) => l.includes('redis unreachable')).length, 1, 'logged once');
    assert.equal(micro.lines.filter((l) => l.includes('redis connected')).length, 2);
  });

  test('failClosed: with Redis unreachable, rate-limited routes answer 503, never 5xx of another kind', async () => {
    const micro = await startMicro([{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 10, per: '1m' } } }],
      { throttle: { redis: { url: `redis://127.0.0.1:${await freePort()}`, failClosed: true, connectTimeoutMs: 200 } } });
    const reply = await send(`${micro.url}/orders/1`, { headers: bearer(await jwtFor()) });
    assert.equal(reply.status, 503);
    assert.equal(reply.json().error, 'overloaded');
    assert.ok(reply.headers['retry-after']);
  });

  test('the concurrency cap holds under a slow backend: queue full → 503, queued requests wait their turn', async () => {
    const micro = await startMicro([{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], concurrency: { max: 2, queue: 2, maxWait: '5s' } }]);
    const jwt = await jwtFor();
    const replies = await Promise.all(Array.from({ length: 8 }, (_, i) => send(`${micro.url}/orders/${i}?delay=400`, { headers: bearer(jwt) })));
    const ok = replies.filter((r) => r.status === 200).length;
    const refused = replies.filter((r) => r.status === 503);
    assert.equal(ok, 4, 'two in flight and two queued');
    assert.equal(refused.length, 4);
    assert.equal(refused[0]!.json().error, 'overloaded');
  });

  test('a queued request that waits longer than maxWait gets 503', async () => {
    const micro = await startMicro([{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], concurrency: { max: 1, queue: 5, maxWait: '200ms' } }]);
    const jwt = await jwtFor();
    const slowReply = send(`${micro.url}/orders/a?delay=2000`, { headers: bearer(jwt) });
    // the slow request holds the only slot before the next one is sent
    for (const deadline = Date.now() + 5000; await metric(micro, 'phantom_backend_in_flight') < 1;) {
      if (Date.now() > deadline) assert.fail('the slow request never took the slot');
      await new Promise((r) => setTimeout(r, 20));
    }
    const queued = await send(`${micro.url}/orders/b`, { headers: bearer(jwt) });
    const slow = await slowReply;
    assert.equal(slow.status, 200);
    assert.equal(queued.status, 503);
    assert.equal(queued.headers['retry-after'], '1');
  });

  test('claim tiers end to end: the JWT claim picks the limit, other values get the default; a reload keeps what each client spent', async () => {
    const port = await freePort();
    const routes = (limit: number) => [{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'],
      rateLimit: { perClient: { limit, per: '1h', tiers: { claim: 'client_id', limits: { 'demo-app': { limit: 4, per: '1h' } } } } } }];
    const file = writeYaml(dir, `tiers-${port}.yaml`, { ...microConfig(edge.url, port, backend.url), routes: routes(2) });
    const micro = await spawnProgram({ name: `micro-${port}`, script: SCRIPTS.micro, args: ['--config', file] });
    started.push(micro);
    const [gold, other] = await Promise.all([jwtFor(), jwtFor(['short-lived', 'short-secret'])]);
    const burst = async (jwt: string, n: number) => { const out = []; for (let i = 0; i < n; i++) out.push(await send(`${micro.url}/orders/${i}`, { headers: bearer(jwt) })); return out; };
    const g = await burst(gold, 3);
    const o = await burst(other, 3);
    assert.deepEqual(g.map((r) => r.status), [200, 200, 200]);
    assert.deepEqual(o.map((r) => r.status), [200, 200, 429]);
    assert.equal(g[0]!.headers['ratelimit-policy'], '"orders-client";q=4;w=3600');
    assert.equal(o[0]!.headers['ratelimit-policy'], '"orders-client";q=2;w=3600');
    // SIGHUP with a higher default: the buckets carry over, so each client keeps what it spent
    writeYaml(dir, `tiers-${port}.yaml`, { ...microConfig(edge.url, port, backend.url), routes: routes(3) });
    micro.child.kill('SIGHUP');
    await waitForLine(micro, 'configuration reloaded');
    assert.deepEqual((await burst(gold, 2)).map((r) => r.status), [200, 429], 'gold had 1 of 4 left');
    assert.deepEqual((await burst(other, 2)).map((r) => r.status), [429, 429], 'other spent 2, the new default of 3 refills one per 20 min');
  });

  test('edge limits: a client over its limit gets 429 before minting; a peer sending unknown tokens is refused before introspection', async () => {
    const limited = await startEdgeWith(as.url, backend.url, {
      routes: [{ name: 'orders', pathPrefix: '/orders', upstream: backend.url, audience: 'orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 3, per: '1h' } } }],
      introspection: { unknownTokensPerPeer: { limit: 10, per: '1h' } },
    });
    started.push(limited);
    const token = await getToken(as, { scope: 'orders:read' });
    const upstreamBefore = (await received(backend)).length;
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await send(`${limited.url}/orders/${i}`, { headers: bearer(token) }));
    assert.deepEqual(replies.map((r) => r.status), [200, 200, 200, 429]);
    assert.equal((await received(backend)).length - upstreamBefore, 3, 'the refused request never reached the upstream');
    assert.equal(replies[3]!.json().error, 'rate_limited');
    assert.equal(replies[3]!.headers['ratelimit-policy'], '"orders-client";q=3;w=3600');
    assert.match(String(replies[3]!.headers['retry-after']), /^\d+$/);
    assert.equal(await metric(limited, 'phantom_ratelimit_limited_total', { route: 'orders', rule: 'client' }), 1);
    assert.equal(await metric(limited, 'phantom_ratelimit_admitted_total', { route: 'orders', rule: 'client' }), 3);
    // the valid token took one introspection of this peer's 10; junk tokens get the other 9, then 429 without a call
    const callsBefore = (await asStats(as)).introspections;
    const junk = [];
    for (let i = 0; i < 12; i++) junk.push(await send(`${limited.url}/orders/j`, { headers: bearer(randomBytes(24).toString('base64url')) }));
    assert.deepEqual(junk.map((r) => r.status), [...Array(9).fill(401), 429, 429, 429]);
    assert.equal((await asStats(as)).introspections - callsBefore, 9, 'no introspection for a refused unknown token');
    assert.equal(junk[9]!.json().error, 'rate_limited');
  });

  test('--check prints the effective limits per route', async () => {
    const file = writeYaml(dir, 'check.yaml', microConfig(edge.url, 1, backend.url, {
      routes: [{ name: 'orders', pathPrefix: '/orders', rateLimit: {
        perClient: { limit: 100, per: '1m', key: ['claim:org', 'client_id'], tiers: { claim: 'tier', limits: { gold: { limit: 1000, per: '1m', burst: 50 } } } },
        perRoute: { limit: 5000, per: '1s' } }, concurrency: { max: 10, queue: 5 } }],
      throttle: { redis: { url: 'redis://user:s3cret@127.0.0.1:6379' } },
    }));
    const out = execFileSync(process.execPath, [SCRIPTS.micro, '--config', file, '--check'], { encoding: 'utf8' });
    assert.match(out, /configuration OK/);
    assert.ok(out.includes('rate limits (GCRA), shared through Redis (single node redis://127.0.0.1:6379); if unreachable: local limits per instance:'), out);
    assert.ok(out.includes('  route orders: per client (claim:org+client_id) 100/1m burst 100, by claim tier: gold 1000/1m burst 50, other 100/1m burst 100; per route 5000/1s burst 5000; concurrency 10 (queue 5, wait 5s)'), out);
    assert.ok(!out.includes('s3cret'), 'no credentials');
  });
});
