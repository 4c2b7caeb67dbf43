/**
 * The shared introspection cache (`introspection.sharedCache`): three edges
 * as real processes, one real redis-server, the real dev AS counting its
 * introspection calls. Redis is killed and restarted on the same port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { tokenHash } from '../../libs/cache/index.js';
import type { Program } from '../../libs/process/index.js';
import { SCRIPTS, adminUrl, asStats, edgeConfig, getToken, metric, startBackend, startDevAs, startEdge, startRedis, tempDir, waitForLine, writeYaml } from '../support/topology.js';
import { bearer, send } from '../support/http.js';

const SECRET = 'test-shared-cache-secret-0123456789';
const PREFIX = 'phantom:introspection:';

describe('shared introspection cache: 3 edges, one real Redis, the dev AS counting calls', () => {
  const started: Program[] = [];
  let as: Program; let redis: Program; let redisPort: number; let edges: Program[];
  let probe: Redis;

  before(async () => {
    redis = await startRedis();
    redisPort = Number(new URL(redis.url).port);
    as = await startDevAs();
    const backend = await startBackend();
    started.push(as, backend);
    const dir = tempDir();
    // edge 2 is failClosed: not ready while Redis is unreachable (edges 0 and 1 stay ready)
    const patch = (failClosed: boolean) => ({
      // every test request comes from 127.0.0.1: the per-peer unknown-token budget must not be what is measured
      introspection: { unknownTokensPerPeer: { limit: 1000, per: 1 }, sharedCache: { redis: { url: redis.url, failClosed } } },
      revocation: { adminToken: SECRET, redis: { url: redis.url } },
    });
    edges = await Promise.all([0, 1, 2].map((i) => startEdge(as.url, backend.url, patch(i === 2), dir)));
    started.push(...edges);
    await Promise.all(edges.map((e) => waitForLine(e, 'shared introspection cache connected', 5000)));
    probe = new Redis(redis.url, { maxRetriesPerRequest: 0, lazyConnect: true });
    probe.on('error', () => undefined);
  });
  after(async () => {
    probe.disconnect();
    await Promise.all([...started, redis].map((p) => p.stop()));
  });

  const introspections = async () => (await asStats(as)).introspections;
  const status = (edge: Program, token: string) => send(`${edge.url}/orders/1`, { headers: bearer(token) }).then((r) => r.status);
  /** `perEdge` concurrent requests on every edge at once */
  const everywhere = (token: string, perEdge = 1) => Promise.all(edges.flatMap((e) => Array.from({ length: perEdge }, () => status(e, token))));
  const readyz = async (edge: Program) => {
    const res = await send(`${adminUrl(edge)}/readyz`);
    return { status: res.status, body: res.json<{ checks?: Record<string, boolean>; details?: { introspectionCache?: string } }>() };
  };
  async function until(what: string, done: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await done())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  it('one new token used concurrently on all three edges costs exactly one introspection at the AS', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    const before = await introspections();
    const seen = await everywhere(token, 5);
    assert.deepEqual(seen, Array(15).fill(200));
    assert.equal(await introspections() - before, 1, '15 requests over 3 edges, one AS call');
    // afterwards each edge answers from its own cache: no further call
    assert.deepEqual(await everywhere(token), [200, 200, 200]);
    assert.equal(await introspections() - before, 1);
    const leads = await Promise.all(edges.map((e) => metric(e, 'phantom_introspection_shared_leads_total')));
    assert.equal(leads.reduce((a, b) => a + b, 0), 1, 'one edge introspected under the lock');
  });

  it('a token introspected by one edge is served to the others from Redis (one call for 1 edge, still one for 3)', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    const before = await introspections();
    assert.equal(await status(edges[0]!, token), 200);
    assert.equal(await introspections() - before, 1, 'one edge: one call');
    assert.deepEqual(await Promise.all([status(edges[1]!, token), status(edges[2]!, token)]), [200, 200]);
    assert.equal(await introspections() - before, 1, 'three edges: still one call');
    await probe.connect();
    try {
      const ttl = await probe.pttl(`${PREFIX}{${tokenHash(token)}}`);
      assert.ok(ttl > 0 && ttl <= 300_000, `the shared entry expires within cacheMaxTtlSeconds (pttl ${ttl})`);
      assert.equal((await probe.keys('*')).filter((k) => k.includes(token)).length, 0, 'no key contains the raw token');
    } finally { probe.disconnect(); }
  });

  it('an inactive answer is shared too: a junk token costs one call for all three edges', async () => {
    const junk = randomBytes(32).toString('base64url');
    const before = await introspections();
    assert.equal(await status(edges[0]!, junk), 401);
    assert.deepEqual(await Promise.all([status(edges[1]!, junk), status(edges[2]!, junk)]), [401, 401]);
    assert.equal(await introspections() - before, 1);
  });

  it('a revoked token gets 401 on all three edges and its shared entry is gone from Redis', async () => {
    const token = await getToken(as, { scope: 'orders:read' });
    assert.deepEqual(await everywhere(token), [200, 200, 200]);
    const key = `${PREFIX}{${tokenHash(token)}}`;
    await probe.connect();
    try {
      assert.equal(await probe.exists(key), 1, 'the shared cache holds the token before the revocation');
      const res = await send(`${adminUrl(edges[0]!)}/revocations`, {
        method: 'POST', body: JSON.stringify({ token }), headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      });
      assert.equal(res.status, 202);
      await until('401 on every edge', async () => (await everywhere(token)).every((s) => s === 401), 5000);
      await until('the shared entry evicted', async () => (await probe.exists(key)) === 0, 5000);
    } finally { probe.disconnect(); }
  });

  it('Redis killed: each edge introspects on its own, still serves, says so in /readyz (not ready only with failClosed) and the metric; Redis back: shared again', async () => {
    await redis.stop();
    await Promise.all(edges.map((e) => waitForLine(e, 'shared introspection cache unreachable', 5000)));
    const ready = await Promise.all(edges.map(readyz));
    assert.deepEqual(ready.map((r) => r.status), [200, 200, 503], 'not ready only with failClosed (edge 2)');
    assert.equal(ready[2]!.body.checks?.sharedCacheUp, false);
    for (const r of ready) assert.match(r.body.details?.introspectionCache ?? '', /^local only: Redis unreachable/);
    for (const edge of edges) assert.equal(await metric(edge, 'phantom_introspection_shared_cache_up'), 0);
    const token = await getToken(as, { scope: 'orders:read' });
    const before = await introspections();
    assert.deepEqual(await everywhere(token), [200, 200, 200]);
    assert.equal(await introspections() - before, 3, 'without Redis, one call per edge');

    redis = await startRedis(redisPort);
    await until('every edge shared again', async () => (await Promise.all(edges.map(readyz))).every((r) => r.body.details?.introspectionCache?.startsWith('shared')));
    for (const edge of edges) assert.equal(await metric(edge, 'phantom_introspection_shared_cache_up'), 1);
    assert.equal((await readyz(edges[2]!)).status, 200, 'the failClosed edge is ready again');
    const next = await getToken(as, { scope: 'orders:read' });
    const again = await introspections();
    assert.deepEqual(await everywhere(next, 3), Array(9).fill(200));
    assert.equal(await introspections() - again, 1, 'Redis back: one call for three edges');
    // each transition logged once per edge
    for (const edge of edges) assert.equal(edge.lines.filter((l) => l.includes('shared introspection cache unreachable')).length, 1);
  });

  it('--check says where introspection results are cached and what happens without Redis, without credentials', () => {
    const file = writeYaml(tempDir(), 'check.yaml', edgeConfig(as.url, 1, 'http://127.0.0.1:1', {
      introspection: { sharedCache: { redis: { url: `redis://user:s3cret@127.0.0.1:${redisPort}`, failClosed: true } } },
    }));
    const out = execFileSync(process.execPath, [SCRIPTS.edge, '--config', file, '--check'], { encoding: 'utf8' });
    assert.match(out, /configuration OK/);
    assert.ok(out.includes(`introspection cache: per instance, then shared through Redis (single node redis://127.0.0.1:${redisPort}), one AS call per new token cluster-wide; Redis unreachable → local cache, /readyz not ready (failClosed)`), out);
    assert.ok(!out.includes('s3cret'), 'no credentials');
  });
});
