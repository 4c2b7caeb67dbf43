/**
 * `server.workers: 2` on the edge and a micro gateway (real processes: dev AS, the
 * primaries and their two node:cluster workers each, real redis-server): both
 * workers serve the one data port, shared limits are exact across them, a
 * revocation sent to the admin port is refused by both, SIGHUP reloads and
 * SIGTERM drains every worker.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { SCRIPTS, adminUrl, asStats, getToken, merge, metric, microConfig, mintedJwt, startRedis, startTopology, tempDir, untilCount, writeYaml, type Topology } from '../support/topology.js';
import { bearer, send } from '../support/http.js';

const SECRET = 'test-workers-secret-0123456789ab';

describe('server.workers: 2 (edge and micro gateway, node:cluster, real Redis)', () => {
  let redis: Program; let t: Topology; let micro: Program;
  let microPatch: Record<string, unknown>;

  before(async () => {
    redis = await startRedis();
    microPatch = {
      server: { workers: 2 },
      throttle: { redis: { url: redis.url } },
      revocation: { adminToken: SECRET, redis: { url: redis.url } },
      routes: [
        { name: 'orders-limited', pathPrefix: '/orders/limited', methods: ['GET'], scopes: ['orders:read'], rateLimit: { perClient: { limit: 10, per: '1h' } } },
        { name: 'orders-read', pathPrefix: '/orders', methods: ['GET'], scopes: ['orders:read'] },
      ],
    };
    // the edge runs 2 workers too: one signing key file for both, and the shared introspection cache
    const keyFile = join(tempDir(), 'signing.pem');
    writeFileSync(keyFile, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    t = await startTopology({
      micro: microPatch,
      edge: { server: { workers: 2 }, keys: { generate: false, signing: [{ file: keyFile }] }, introspection: { sharedCache: { redis: { url: redis.url } } } },
    });
    micro = t.micro;
  });
  after(async () => {
    await t?.stop();
    await redis?.stop();
  });

  /** the workers (their `worker` log field) that logged the `n` lines containing `text` after line `since` (polled: the log sink writes in batches) */
  async function workersThatLogged(since: number, text: string, n: number): Promise<number[]> {
    const matching = () => micro.lines.slice(since).filter((l) => l.includes(text));
    await untilCount(() => matching().length, n, 5000);
    return [...new Set(matching().map((l) => (JSON.parse(l) as { worker: number }).worker))].sort();
  }
  /** n requests, each on its own connection (node:cluster hands connections to the workers in turn) */
  const many = (n: number, jwt: string, path = '/orders/limited/1') => Promise.all(Array.from({ length: n }, () => send(`${micro.url}${path}`, { headers: bearer(jwt) }).then((r) => r.status)));

  it('the primary prints one ready line for both workers; with the Redis store a limit of 10 admits exactly 10 over both', async () => {
    const ready = micro.lines.filter((l) => l.startsWith('{"ready":true'));
    assert.equal(ready.length, 1);
    assert.equal((JSON.parse(ready[0]!) as { workers?: number }).workers, 2);
    const token = await getToken(t.as, { scope: 'orders:read' });
    const jwt = await edgeJwt(token);
    const since = micro.lines.length;
    const statuses = await many(30, jwt);
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(' '));
    assert.equal(statuses.filter((s) => s === 429).length, 20);
    assert.deepEqual(await workersThatLogged(since, '/orders/limited/1', 30), [1, 2], 'both workers took part in the one shared bucket');
  });

  it('/metrics on the shared admin port counts the requests of both workers', async () => {
    assert.equal(await metric(micro, 'phantom_ratelimit_admitted_total', { route: 'orders-limited', rule: 'client' }), 10);
    assert.equal(await metric(micro, 'phantom_ratelimit_limited_total', { route: 'orders-limited', rule: 'client' }), 20);
  });

  it('a revocation sent to the admin port (one worker) is refused by both workers', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const jwt = await edgeJwt(token);
    const { jti } = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { jti: string };
    const res = await send(`${adminUrl(micro)}/revocations`, {
      method: 'POST', body: JSON.stringify({ jti }), headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
    });
    assert.equal(res.status, 202);
    // both workers applied it: the one that took the call, the other through Redis
    await untilCount(() => micro.lines.filter((l) => l.includes('"msg":"revocation applied"')).length, 2, 5000);
    const applied = micro.lines.filter((l) => l.includes('"msg":"revocation applied"')).map((l) => JSON.parse(l) as { worker: number; source: string });
    assert.deepEqual(applied.map((a) => a.worker).sort(), [1, 2]);
    const since = micro.lines.length;
    const statuses = await many(10, jwt, '/orders/1');
    assert.deepEqual(statuses, Array(10).fill(401));
    assert.deepEqual(await workersThatLogged(since, 'revoked_jti', 10), [1, 2], 'refused by both workers');
  });

  it('an edge with 2 workers and the shared cache: a new token served by both workers costs one introspection', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const before = (await asStats(t.as)).introspections;
    const since = t.edge.lines.length;
    const statuses = await Promise.all(Array.from({ length: 8 }, () => send(`${t.edge.url}/orders/1`, { headers: bearer(token) }).then((r) => r.status)));
    assert.deepEqual(statuses, Array(8).fill(200));
    assert.equal((await asStats(t.as)).introspections - before, 1);
    const logged = () => t.edge.lines.slice(since).filter((l) => l.includes('"msg":"request"'));
    await untilCount(() => logged().length, 8, 5000);
    assert.deepEqual([...new Set(logged().map((l) => (JSON.parse(l) as { worker: number }).worker))].sort(), [1, 2]);
  });

  it('SIGHUP to the primary reloads every worker', async () => {
    const reloaded = () => micro.lines.filter((l) => l.includes('"msg":"configuration reloaded"')).length;
    const was = reloaded();
    micro.child.kill('SIGHUP');
    await untilCount(reloaded, was + 2, 10_000);
    assert.deepEqual(new Set(micro.lines.filter((l) => l.includes('"msg":"configuration reloaded"')).map((l) => (JSON.parse(l) as { worker: number }).worker)), new Set([1, 2]));
  });

  it('--check warns that local limits are per worker (the schema rules for workers: libs/config/workers-schema.test.ts)', () => {
    const local = merge(microConfig(t.edge.url, 1, t.backend.url), { ...microPatch, throttle: {} });
    const out = execFileSync(process.execPath, [SCRIPTS.micro, '--config', writeYaml(t.dir, 'local.yaml', local), '--check'], { encoding: 'utf8' });
    assert.ok(out.includes('workers: 2, sharing the data and admin ports; caches per worker; WARNING: rate limits are per worker (up to 2× a limit per instance); set throttle.redis for exact limits'), out);
  });

  it('a worker that cannot start (its port taken) stops the program with exit code 1 and no ready line', async () => {
    const taken = merge(microConfig(t.edge.url, Number(new URL(micro.url).port), t.backend.url), microPatch);
    await assert.rejects(spawnProgram({ name: 'micro-taken', script: SCRIPTS.micro, args: ['--config', writeYaml(t.dir, 'taken.yaml', taken)], timeoutMs: 20_000 }),
      (err: Error) => err.message.includes('exited with code 1 before listening') && err.message.includes('a worker failed to start'));
  });

  it('SIGTERM to the primary drains both workers and exits 0', async () => {
    assert.equal(await micro.stop(10_000), 0);
    const stopped = micro.lines.filter((l) => l.includes('"msg":"stopped"')).map((l) => (JSON.parse(l) as { worker?: number }).worker);
    assert.deepEqual(stopped.sort(), [1, 2]);
  });

  /** the JWT the edge mints for this token, read back from the micro's backend echo */
  async function edgeJwt(token: string): Promise<string> {
    return mintedJwt(t.edge.url, token, '/orders/mint');
  }
});
