/**
 * Request latency at the edge for a token the instance has not seen, with the
 * shared introspection cache: introspected at the AS (edge 0), taken from
 * Redis (edge 1), then from edge 1's own cache. Real processes, loopback.
 *   node dist/test/bench/shared-cache-latency.js [rounds] [tokens]
 */
import { getToken, startBackend, startDevAs, startEdge, startRedis, tempDir, waitForLine } from '../support/topology.js';

const rounds = Number(process.argv[2] ?? 3);
const count = Number(process.argv[3] ?? 40);
const redis = await startRedis();
const as = await startDevAs();
const backend = await startBackend();
const patch = { introspection: { unknownTokensPerPeer: { limit: 10_000, per: 1 }, sharedCache: { redis: { url: redis.url } } } };
const dir = tempDir();
const edges = await Promise.all([0, 1].map(() => startEdge(as.url, backend.url, patch, dir)));
await Promise.all(edges.map((e) => waitForLine(e, 'shared introspection cache connected', 5000)));

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
async function timed(url: string, token: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
  return performance.now() - t0;
}
try {
  for (let round = 0; round < rounds; round++) {
    const tokens: string[] = [];
    for (let i = 0; i < count; i++) tokens.push(await getToken(as, { scope: 'orders:read' }));
    const [viaAs, viaRedis, viaL1]: number[][] = [[], [], []];
    for (const token of tokens) {
      viaAs.push(await timed(`${edges[0]!.url}/orders/1`, token));
      viaRedis.push(await timed(`${edges[1]!.url}/orders/1`, token));
      viaL1.push(await timed(`${edges[1]!.url}/orders/1`, token));
    }
    console.log(`round ${round}: median ms per request — new token, introspected at the AS ${median(viaAs).toFixed(2)}; `
      + `at the other edge, from Redis ${median(viaRedis).toFixed(2)}; again there, from its own cache ${median(viaL1).toFixed(2)}`);
  }
} finally {
  await Promise.all([...edges, as, backend, redis].map((p) => p.stop()));
}
