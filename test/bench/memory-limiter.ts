/**
 * Pushes N distinct clients through the micro gateway's limiter (the same
 * createThrottle the micro gateway runs) in this process and prints the
 * resident memory before and after as one JSON line. In redis mode it starts
 * its own redis-server (no persistence) and reports Redis's memory too.
 *   node --expose-gc memory-limiter.js <clients> <maxClients> [local|redis] [in flight, default 256]
 */
import { pino } from 'pino';
import { createThrottle, type Admission } from '../../libs/throttle/index.js';

const clients = Number(process.argv[2] ?? 1_000_000);
const maxClients = Number(process.argv[3] ?? 100_000);
const mode = process.argv[4] === 'redis' ? 'redis' : 'local';
const redis = mode === 'redis' ? await (await import('../support/topology.js')).startRedis() : undefined;
const throttle = createThrottle({
  routes: { orders: { perClient: { limit: 100, windowMs: 60_000 }, concurrency: { max: 1024, queue: 0, maxWaitMs: 1000 } } },
  maxClients, logger: pino({ level: 'silent' }),
  redis: redis && { url: redis.url, prefix: 'bench', failClosed: true, connectTimeoutMs: 1000 },
});
while (redis && !throttle.redis!.connected) await new Promise((r) => setTimeout(r, 10));
await new Promise((r) => setTimeout(r, 20)); // the ready event has been seen
const mib = () => process.memoryUsage().rss / 2 ** 20;
globalThis.gc?.();
const before = mib();
const heapBefore = process.memoryUsage().heapUsed / 2 ** 20;
let peak = before;
let refused = 0;
const started = performance.now();
const BATCH = Number(process.argv[5] ?? 256); // in flight at once in redis mode (auto-pipelined)
for (let i = 0; i < clients; i += BATCH) {
  const pending: Promise<Admission>[] = [];
  for (let j = i; j < Math.min(clients, i + BATCH); j++) {
    const a = throttle.admit('orders', { claims: { client_id: `client-${j}` }, peer: '' });
    if (a instanceof Promise) pending.push(a); else a.release();
  }
  for (const r of await Promise.allSettled(pending)) { if (r.status === 'fulfilled') r.value.release(); else refused++; }
  if (i % 100_000 === 0) peak = Math.max(peak, mib());
}
const seconds = (performance.now() - started) / 1000;
globalThis.gc?.();
const after = mib();
let redisMemory: Record<string, number> | undefined;
if (redis) {
  const info = await (throttle.redis!.client as import('ioredis').Redis).info('memory');
  const field = (name: string) => Number(/^(\w+):(\d+)/m.exec(info.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2] ?? NaN) / 2 ** 20;
  redisMemory = { usedMiB: field('used_memory'), peakMiB: field('used_memory_peak'), keys: await (throttle.redis!.client as import('ioredis').Redis).dbsize() };
}
await throttle.close();
await redis?.stop();
const m = process.memoryUsage();
process.stdout.write(JSON.stringify({ heapBeforeMiB: heapBefore, heapUsedMiB: m.heapUsed / 2 ** 20, externalMiB: m.external / 2 ** 20, mode, clients, maxClients, refused, seconds: Math.round(seconds * 10) / 10, beforeMiB: before, afterMiB: after, peakMiB: Math.max(peak, after), ...(redisMemory ? { redis: redisMemory } : {}) }) + '\n');
