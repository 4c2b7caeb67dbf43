/**
 * Pushes N distinct clients through the micro gateway's limiter (the same
 * createThrottle the micro gateway runs) in this process and prints the
 * resident memory before and after as one JSON line.
 *   node memory-limiter.js <clients> <maxClients>
 */
import { pino } from 'pino';
import { createThrottle } from '../../libs/throttle/index.js';

const clients = Number(process.argv[2] ?? 1_000_000);
const maxClients = Number(process.argv[3] ?? 100_000);
const throttle = createThrottle({
  routes: { orders: { perClient: { limit: 100, windowMs: 60_000 }, concurrency: { max: 1024, queue: 0, maxWaitMs: 1000 } } },
  maxClients, logger: pino({ level: 'silent' }),
});
const mib = () => process.memoryUsage().rss / 2 ** 20;
globalThis.gc?.();
const before = mib();
let peak = before;
for (let i = 0; i < clients; i++) {
  const a = throttle.admit('orders', `client-${i}`);
  if (!(a instanceof Promise)) a.release();
  if (i % 100_000 === 0) peak = Math.max(peak, mib());
}
globalThis.gc?.();
const after = mib();
process.stdout.write(JSON.stringify({ clients, maxClients, beforeMiB: before, afterMiB: after, peakMiB: Math.max(peak, after) }) + '\n');
