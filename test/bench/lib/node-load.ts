import { Pool } from 'undici';
import type { LoadResult } from './wrk.js';

/**
 * A closed-loop load from Node for the scenarios wrk cannot drive: each of
 * `concurrency` workers sends the next request as soon as the last answered,
 * until `requests` run out. Used where the server is far slower than this
 * loop (introspection at the AS, cold tokens), so the loop does not decide
 * the result.
 */
export async function runNodeLoad(origin: string, requests: readonly { path: string; method?: string; headers: Record<string, string>; body?: string }[], concurrency: number): Promise<LoadResult> {
  const pool = new Pool(origin, { connections: concurrency });
  const latencies: number[] = [];
  let next = 0; let errors = 0; let non2xx = 0;
  const start = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < requests.length) {
      const r = requests[next++]!;
      const t = performance.now();
      try {
        const res = await pool.request({ path: r.path, method: (r.method ?? 'GET') as 'GET', headers: r.headers, body: r.body ?? null });
        await res.body.dump();
        if (res.statusCode >= 400) non2xx++;
      } catch { errors++; }
      latencies.push(performance.now() - t);
    }
  }));
  const seconds = (performance.now() - start) / 1000;
  await pool.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { requests: requests.length, seconds, rps: requests.length / seconds, p50ms: pct(0.5), p99ms: pct(0.99), errors, non2xx };
}
