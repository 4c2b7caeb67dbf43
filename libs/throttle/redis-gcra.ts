import type { Cluster, Redis } from 'ioredis';
import type { Gcra, Take } from './gcra.js';

/**
 * GCRA in one atomic script (the same step as gcra.ts): the clock is Redis's
 * own (TIME), so instances with skewed clocks agree; one key per (rule, client)
 * holding the TAT, expiring when the bucket is full again. Nothing is kept per
 * key in this process.
 */
const SCRIPT = `
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local tat = tonumber(redis.call('GET', KEYS[1]) or 0) or 0
if tat < now then tat = now end
local nxt = tat + interval
if nxt - now > tolerance + 0.001 then
  return {0, 0, math.ceil(tat - now), math.ceil(nxt - tolerance - now)}
end
redis.call('SET', KEYS[1], string.format('%.3f', nxt), 'PX', math.ceil(nxt - now))
return {1, math.floor((tolerance - (nxt - now)) / interval + 0.000001), math.ceil(nxt - now), 0}
`;

type WithGcra = { phantomGcra(key: string, interval: string, tolerance: string): Promise<[number, number, number, number]> };

/** Shared GCRA limiter: one EVALSHA per admission and rule (ioredis falls back to EVAL once after a script flush). */
export function createRedisLimiter(client: Redis | Cluster) {
  if (!('phantomGcra' in client)) client.defineCommand('phantomGcra', { numberOfKeys: 1, lua: SCRIPT });
  const run = client as unknown as WithGcra;
  return {
    async take(key: string, g: Gcra): Promise<Take> {
      const [allowed, remaining, resetMs, retryMs] = await run.phantomGcra(key, String(g.interval), String(g.tolerance));
      return { allowed: allowed === 1, remaining, resetMs, retryMs };
    },
  };
}
