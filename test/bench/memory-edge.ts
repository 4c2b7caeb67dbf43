/**
 * `npm run bench:memory`: distinct tokens through a real edge process (its own
 * RSS, from /proc, not this harness's): valid tokens from the dev AS (they
 * fill the active and mint caches) and junk ones (the inactive cache), each
 * sent once, in quarters after a short warm-up. The edge runs with explicit
 * cache bounds; the target: RSS growth from the end of the warm-up (caches far
 * from full) ≤ the caches' share + 64 MiB.
 *   npm run bench:memory -- [--tokens 1000000] [--valid 20000] [--cache 10000]
 */
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { edgeConfig, freePort, getToken, metric, startDevAs, tempDir, writeYaml, SCRIPTS } from '../support/topology.js';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { runNodeLoad } from './lib/node-load.js';
import { memoryOf } from './lib/bench-topology.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '1000000' }, valid: { type: 'string', default: '20000' }, cache: { type: 'string', default: '10000' } } });
const tokens = Number(values.tokens); const validCount = Math.min(Number(values.valid), tokens); const cache = Number(values.cache);
const log = (line: string) => process.stderr.write(`${line}\n`);
const started: Program[] = [];
try {
  const as = await startDevAs(); started.push(as);
  const backend = await spawnProgram({ name: 'backend', script: new URL('./servers/backend.js', import.meta.url).pathname }); started.push(backend);
  const port = await freePort();
  const edge = await spawnProgram({ name: 'edge-mem', script: SCRIPTS.edge, args: ['--config', writeYaml(tempDir(), 'edge-mem.yaml', edgeConfig(as.url, port, backend.url, {
    admin: { port: 0 }, logging: { accessLog: false },
    introspection: { cacheMaxEntries: cache, inactiveCacheMaxEntries: cache, unknownTokensPerPeer: { limit: 1_000_000, per: 1 } }, minting: { cacheMaxEntries: cache },
  }))] }); started.push(edge);
  log(`fetching ${validCount} valid tokens…`);
  const valid: string[] = [];
  await Promise.all(Array.from({ length: 16 }, async () => { while (valid.length < validCount) valid.push(await getToken(as, { scope: 'orders:read' })); }));
  const pid = edge.child.pid!;
  const requests = (ts: string[]) => ts.map((t) => ({ path: '/orders/m', headers: { authorization: `Bearer ${t}` } }));
  const junk = (n: number) => Array.from({ length: Math.max(0, n) }, () => randomBytes(24).toString('base64url'));
  // warm-up: 1 % of the tokens (at most 1000), both kinds: the paths compiled, the caches far from full
  const warm = Math.max(2, Math.min(1000, Math.ceil(tokens / 100)));
  let sentValid = Math.min(valid.length, Math.ceil(warm / 2));
  await runNodeLoad(edge.url, requests([...valid.slice(0, sentValid), ...junk(warm - sentValid)]), 64);
  const idle = memoryOf(pid).rssMiB;
  log(`after warm-up: edge RSS ${idle.toFixed(0)} MiB`);
  const samples: number[] = [];
  // where the RSS is: V8's heap as the edge's own /metrics reports it (committed vs used; old space apart)
  const MiB = async (name: string, labels?: Record<string, string>) => Math.round((await metric(edge, name, labels)) / 2 ** 20);
  const heaps: Record<string, number>[] = [];
  const quarter = Math.ceil((tokens - warm) / 4);
  const quarterValid = Math.ceil((valid.length - sentValid) / 4);
  for (let q = 0; q < 4; q++) {
    // valid tokens spread evenly over the quarters, the rest junk; every token distinct
    const batch = [...valid.slice(sentValid, sentValid + quarterValid)];
    sentValid += batch.length;
    batch.push(...junk(quarter - batch.length));
    for (let i = 0; i < batch.length; i += 50_000) await runNodeLoad(edge.url, requests(batch.slice(i, i + 50_000)), 64);
    samples.push(memoryOf(pid).rssMiB);
    heaps.push({ total: await MiB('nodejs_heap_size_total_bytes'), used: await MiB('nodejs_heap_size_used_bytes'), oldTotal: await MiB('nodejs_heap_space_size_total_bytes', { space: 'old' }), oldUsed: await MiB('nodejs_heap_space_size_used_bytes', { space: 'old' }) });
    log(`quarter ${q + 1}: edge RSS ${samples[q]!.toFixed(0)} MiB, V8 heap ${JSON.stringify(heaps[q])} MiB`);
  }
  // the three caches at a generous 2 KiB an entry, plus 64 MiB; measured from the end of the warm-up, so the
  // growth counts the caches filling
  const allowance = (3 * cache * 2) / 1024 + 64;
  const growth = samples[3]! - idle;
  const entries = await metric(edge, 'phantom_introspection_cache_entries');
  process.stdout.write(`${JSON.stringify({ tokens, valid: validCount, cacheBound: cache, rssAfterWarmupMiB: Math.round(idle), rssAfterEachQuarterMiB: samples.map((x) => Math.round(x)), peakMiB: Math.round(memoryOf(pid).peakMiB), heapAfterEachQuarterMiB: heaps, growthAfterWarmupMiB: Math.round(growth), allowanceMiB: Math.round(allowance), cacheEntries: entries })}\n`);
  process.stdout.write(`[${growth <= allowance ? 'met' : 'NOT met'}] edge RSS growth after warm-up ≤ cache bounds + 64 MiB: ${growth.toFixed(1)} MiB (allowance ${allowance.toFixed(0)} MiB)\n`);
} finally {
  await Promise.all(started.map((p) => p.stop()));
}
