/**
 * The shared limiter against real Redis topologies started here from Debian's
 * redis-server / redis-sentinel / openssl: a single node, TLS, Sentinel and a
 * three-master Cluster. Each throttle is what one gateway instance runs.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Redis } from 'ioredis';
import { createThrottle, type Admission, type ThrottleOptions } from '../../libs/throttle/index.js';
import { GatewayError } from '../../libs/errors/index.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { freePort, startRedis, tempDir } from '../support/topology.js';

const silent = pino({ level: 'silent' });
const has = (cmd: string) => spawnSync(cmd, ['--version']).error === undefined;
const skipUnless = (cmd: string) => (has(cmd) ? false : `${cmd} is not installed (.ci/run installs it)`);
const ready = (port: number, scheme = 'redis') => (line: string) => (/Ready to accept connections/.test(line) ? `${scheme}://127.0.0.1:${port}` : undefined);

describe('shared rate limits on real Redis topologies', () => {
  const started: Program[] = [];
  const throttles: { close(): Promise<void> }[] = [];
  const dir = tempDir();
  after(async () => {
    await Promise.all(throttles.map((t) => t.close()));
    await Promise.all(started.map((p) => p.stop()));
  });

  function throttle(redis: NonNullable<ThrottleOptions['redis']>, limit = 50) {
    const t = createThrottle({ routes: { orders: { perClient: { limit, windowMs: 3_600_000 } } }, maxClients: 1000, logger: silent, redis });
    throttles.push(t);
    return t;
  }
  async function connected(...ts: ReturnType<typeof throttle>[]) {
    const deadline = Date.now() + 10_000;
    while (!ts.every((t) => t.sharedLimits)) {
      if (Date.now() > deadline) throw new Error('redis did not become ready');
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  /** n admissions for one client, spread over the given instances, in parallel; returns how many were admitted */
  async function admitMany(ts: ReturnType<typeof throttle>[], n: number, client = 'app'): Promise<number> {
    const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => Promise.resolve(ts[i % ts.length]!.admit('orders', { claims: { client_id: client }, peer: '' }))));
    for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof GatewayError && r.reason.code === 'rate_limited', String(r.reason));
    return results.filter((r) => r.status === 'fulfilled').length;
  }

  test('single node: two instances share one bucket exactly; each key expires when its bucket is full again', async () => {
    const redis = await startRedis();
    started.push(redis);
    const spec = { url: redis.url, prefix: 'p1', failClosed: true, connectTimeoutMs: 1000 };
    const [a, b] = [throttle(spec), throttle(spec)];
    await connected(a, b);
    assert.equal(await admitMany([a, b], 150), 50, 'a burst of 150 over two instances admits the limit of 50');
    const first = await (a.admit('orders', { claims: { client_id: 'fresh' }, peer: '' }) as Promise<Admission>);
    assert.equal(first.headers.ratelimit, '"orders-client";r=49;t=72');
    const client = a.redis!.client as Redis;
    const ttl = await client.pttl('p1:orders:c:app');
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `a spent bucket of 50/h expires in about an hour, not never (${ttl} ms)`);
    const once = await client.pttl('p1:orders:c:fresh');
    assert.ok(once > 0 && once <= 72_000, `one request's worth: one interval (${once} ms)`);
  });

  test('100 000 distinct clients in Redis mode: heap flat, RSS growth under 64 MiB, nothing per client in the process', { timeout: 120_000 }, () => {
    const script = fileURLToPath(new URL('../bench/memory-limiter.js', import.meta.url));
    const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, '100000', '100000', 'redis'], { encoding: 'utf8' })) as
      { refused: number; beforeMiB: number; afterMiB: number; heapUsedMiB: number; redis: { keys: number } };
    assert.equal(out.refused, 0);
    assert.ok(out.afterMiB - out.beforeMiB <= 64, `RSS grew ${(out.afterMiB - out.beforeMiB).toFixed(1)} MiB`);
    assert.ok(out.heapUsedMiB < 32, `heap after GC ${out.heapUsedMiB.toFixed(1)} MiB`);
    assert.ok(out.redis.keys < 100_000, `keys expire with their bucket: ${out.redis.keys} left of 100 000`);
  });

  test('rediss:// (TLS, private CA): the limit holds across two instances', { skip: skipUnless('openssl') }, async () => {
    const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca']);
    ssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'redis.key', '-out', 'redis.csr', '-subj', '/CN=127.0.0.1']);
    writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl(['x509', '-req', '-in', 'redis.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'redis.crt', '-days', '1', '-extfile', 'san.ext']);
    const port = await freePort();
    const redis = await spawnProgram({
      name: `redis-tls-${port}`, script: '', command: 'redis-server', ready: ready(port, 'rediss'),
      args: ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
        '--tls-cert-file', join(dir, 'redis.crt'), '--tls-key-file', join(dir, 'redis.key'), '--tls-ca-cert-file', join(dir, 'ca.crt'), '--tls-auth-clients', 'no'],
    });
    started.push(redis);
    const spec = { url: redis.url, caFile: join(dir, 'ca.crt'), prefix: 'tls', failClosed: true, connectTimeoutMs: 2000 };
    const [a, b] = [throttle(spec, 20), throttle(spec, 20)];
    await connected(a, b);
    assert.equal(await admitMany([a, b], 60), 20);
  });

  test('Sentinel: instances find the master through a sentinel and share its buckets', { skip: skipUnless('redis-sentinel') }, async () => {
    const master = await startRedis();
    started.push(master);
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    writeFileSync(conf, `port ${port}\nbind 127.0.0.1\nsentinel monitor phantom 127.0.0.1 ${new URL(master.url).port} 1\nsentinel down-after-milliseconds phantom 5000\n`);
    const sentinel = await spawnProgram({ name: `sentinel-${port}`, script: '', command: 'redis-sentinel', args: [conf], ready: (l) => (/\+monitor master phantom/.test(l) ? `redis://127.0.0.1:${port}` : undefined) });
    started.push(sentinel);
    const spec = { sentinel: { name: 'phantom', nodes: [`127.0.0.1:${port}`] }, prefix: 'sen', failClosed: true, connectTimeoutMs: 2000 };
    const [a, b] = [throttle(spec, 30), throttle(spec, 30)];
    await connected(a, b);
    assert.equal(await admitMany([a, b], 90), 30);
  });

  test('Cluster (three masters): buckets spread over the nodes, each client limited exactly', { skip: skipUnless('redis-cli'), timeout: 60_000 }, async () => {
    const ports = await Promise.all([freePort(), freePort(), freePort()]);
    const nodes = await Promise.all(ports.map((port) => spawnProgram({
      name: `redis-cluster-${port}`, script: '', command: 'redis-server', ready: ready(port),
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000'],
    })));
    started.push(...nodes);
    execFileSync('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes'], { stdio: 'ignore' });
    for (const port of ports) {
      const deadline = Date.now() + 20_000;
      while (!execFileSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' }).includes('cluster_state:ok')) {
        if (Date.now() > deadline) throw new Error(`cluster node ${port} not ok`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const spec = { cluster: { nodes: [`redis://127.0.0.1:${ports[0]}`] }, prefix: 'clu', failClosed: true, connectTimeoutMs: 2000 };
    const [a, b] = [throttle(spec, 10), throttle(spec, 10)];
    await connected(a, b);
    const admitted = await Promise.all(Array.from({ length: 20 }, (_, i) => admitMany([a, b], 15, `client-${i}`)));
    assert.deepEqual(admitted, Array(20).fill(10), 'each of 20 clients: 10 of 15');
    const keysPerNode = ports.map((p) => Number(execFileSync('redis-cli', ['-p', String(p), 'dbsize'], { encoding: 'utf8' }).trim()));
    assert.equal(keysPerNode.reduce((x, y) => x + y, 0), 20);
    assert.ok(keysPerNode.every((n) => n > 0), `keys on every master: ${keysPerNode.join('/')}`);
  });

  test('Redis unreachable: local buckets decide (counted as fallback); with failClosed, 503 overloaded', async () => {
    const url = `redis://127.0.0.1:${await freePort()}`;
    const open = throttle({ url, prefix: 'x', failClosed: false, connectTimeoutMs: 200 }, 3);
    const results = [0, 1, 2, 3].map(() => { try { open.admit('orders', { claims: { client_id: 'a' }, peer: '' }); return 200; } catch (e) { return (e as GatewayError).status; } });
    assert.deepEqual(results, [200, 200, 200, 429], 'the local bucket holds the same limit');
    assert.deepEqual([...open.ruleStats].map((s) => [s.admitted, s.limited, s.fallback]), [[3, 1, 4]]);
    const closed = throttle({ url, prefix: 'x', failClosed: true, connectTimeoutMs: 200 }, 3);
    assert.throws(() => closed.admit('orders', { claims: { client_id: 'a' }, peer: '' }),
      (e: unknown) => e instanceof GatewayError && e.status === 503 && e.code === 'overloaded' && e.reason === 'redis_unavailable');
  });
});
