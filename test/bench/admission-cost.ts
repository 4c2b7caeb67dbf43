/**
 * What one admission costs, paired in alternating rounds: the local GCRA
 * limiter, the Redis script awaited one at a time (latency: one round trip),
 * and the Redis script with 256 admissions in flight (throughput, auto-
 * pipelined); plus the concurrency gate against bottleneck as a concurrency
 * cap. Starts its own redis-server. Prints one JSON line.
 *   node admission-cost.js [rounds=3]
 */
import Bottleneck from 'bottleneck';
import { pino } from 'pino';
import { createConcurrencyGate, createThrottle, type Admission } from '../../libs/throttle/index.js';
import { startRedis } from '../support/topology.js';

const rounds = Number(process.argv[2] ?? 3);
const redis = await startRedis();
const routes = { orders: { perClient: { limit: 1_000_000, windowMs: 60_000 } } };
const logger = pino({ level: 'silent' });
const local = createThrottle({ routes, maxClients: 100_000, logger });
const shared = createThrottle({ routes, maxClients: 100_000, logger, redis: { url: redis.url, prefix: 'cost', failClosed: true, connectTimeoutMs: 1000 } });
while (!shared.sharedLimits) await new Promise((r) => setTimeout(r, 10));
const subject = (i: number) => ({ claims: { client_id: `c${i % 10_000}` }, peer: '' });

async function timed(n: number, run: (i: number) => unknown): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i++) { const r = run(i); if (r instanceof Promise) await r; }
  return ((performance.now() - start) * 1000) / n;
}
async function timedConcurrent(n: number, inFlight: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < n; i += inFlight) {
    const batch: (Admission | Promise<Admission>)[] = [];
    for (let j = i; j < Math.min(n, i + inFlight); j++) batch.push(shared.admit('orders', subject(j)));
    await Promise.all(batch);
  }
  return ((performance.now() - start) * 1000) / n;
}
const gate = createConcurrencyGate({ max: 64, queue: 0, maxWaitMs: 1000 });
const cap = new Bottleneck({ maxConcurrent: 64 });

const results: Record<string, number[]> = { localUs: [], redisSequentialUs: [], redisConcurrentUs: [], gateUs: [], bottleneckCapUs: [] };
await timed(20_000, (i) => local.admit('orders', subject(i))); // warm-up
await timed(2_000, (i) => shared.admit('orders', subject(i)));
for (let r = 0; r < rounds; r++) {
  results.localUs!.push(await timed(200_000, (i) => local.admit('orders', subject(i))));
  results.redisSequentialUs!.push(await timed(5_000, (i) => shared.admit('orders', subject(i))));
  results.redisConcurrentUs!.push(await timedConcurrent(50_000, 256));
  results.gateUs!.push(await timed(200_000, () => (gate.enter() as () => void)()));
  results.bottleneckCapUs!.push(await timed(1_000, () => cap.schedule(() => Promise.resolve())));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number) => Math.round(x * 100) / 100;
await Promise.all([local.close(), shared.close()]);
await redis.stop();
process.stdout.write(JSON.stringify({
  rounds, median: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, round(median(v))])),
  runs: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map(round)])),
}) + '\n');
