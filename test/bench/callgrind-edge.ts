/**
 * Instructions per request at the edge, counted by valgrind's callgrind —
 * a figure that survives a noisy, shared machine where wall-clock and even
 * /proc CPU time do not. The edge runs under callgrind (threads apart) in
 * front of a micro gateway and the backend; after a warm-up the counters are
 * zeroed, `requests` requests run (4 at a time), and the counts are dumped.
 * The figure sums the main thread and libuv's pool (crypto jobs, fs) and
 * leaves out V8's platform threads (the optimizing compiler and concurrent
 * GC, whose share depends on how far the JIT got under valgrind's slowness).
 *   node dist/test/bench/callgrind-edge.js [--mode cold|warm] [--requests 300] [--warmup 150] [--out DIR]
 * cold: a new token per request (introspection + signature each); warm: one token (cached).
 * Needs valgrind (Debian: apt-get install valgrind). About 3 minutes for 300 cold requests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, microConfig, startDevAs, tempDir, writeYaml, SCRIPTS } from '../support/topology.js';
import { runNodeLoad } from './lib/node-load.js';

const { values } = parseArgs({ options: {
  mode: { type: 'string', default: 'cold' }, requests: { type: 'string', default: '300' }, warmup: { type: 'string', default: '150' }, out: { type: 'string' },
} });
const cold = values.mode === 'cold';
const n = Number(values.requests); const warmups = Number(values.warmup);
const dir = tempDir();
const out = values.out ?? join(dir, 'callgrind');
mkdirSync(out, { recursive: true });
const started: Program[] = [];
try {
  const backend = await spawnProgram({ name: 'backend', script: fileURLToPath(new URL('./servers/backend.js', import.meta.url)) }); started.push(backend);
  const as = await startDevAs(); started.push(as);
  const [edgePort, microPort] = [await freePort(), await freePort()];
  const edgeDoc = edgeConfig(as.url, edgePort, `http://127.0.0.1:${microPort}`, { admin: { port: 0 }, introspection: { unknownTokensPerPeer: { limit: 1_000_000, per: 1 } } });
  const edge = await spawnProgram({
    name: 'edge', script: '', command: 'valgrind', timeoutMs: 600_000,
    args: ['--tool=callgrind', `--callgrind-out-file=${out}/cg.%p`, '--separate-threads=yes', process.execPath, SCRIPTS.edge, '--config', writeYaml(dir, 'edge.yaml', edgeDoc)],
  });
  started.push(edge);
  const microDoc = microConfig(edge.url, microPort, backend.url, {
    admin: { port: 0 }, routes: [{ name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 1_000_000_000, per: '1s' } }, concurrency: { max: 4096, queue: 0 } }],
  });
  delete microDoc.claimHeaders;
  const micro = await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', writeYaml(dir, 'micro.yaml', microDoc)] }); started.push(micro);
  const pid = String(edge.child.pid);
  const tokens: string[] = [];
  const wanted = cold ? n + warmups : 1;
  await Promise.all(Array.from({ length: 8 }, async () => { while (tokens.length < wanted) tokens.push(await getToken(as, { scope: 'orders:read' })); }));
  const request = (t: string, i: number) => ({ path: `/orders/${i}`, headers: { authorization: `Bearer ${t}` } });
  await runNodeLoad(edge.url, cold ? tokens.slice(0, warmups).map(request) : Array.from({ length: warmups * 4 }, (_, i) => request(tokens[0]!, i)), 4);
  execFileSync('callgrind_control', ['-z', pid]);
  const r = await runNodeLoad(edge.url, cold ? tokens.slice(warmups, warmups + n).map(request) : Array.from({ length: n }, (_, i) => request(tokens[0]!, i)), 4);
  execFileSync('callgrind_control', ['-d', 'measured', pid]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const threads = readdirSync(out).filter((f) => f.startsWith(`cg.${pid}.1-`)).sort().map((f) => {
    const text = readFileSync(join(out, f), 'utf8');
    return { file: f, ir: Number(/^summary: (\d+)/m.exec(text)?.[1] ?? 0), v8: text.includes('PlatformWorkerThread') };
  });
  const counted = threads.filter((t) => !t.v8).reduce((s, t) => s + t.ir, 0);
  const main = threads[0]?.ir ?? 0;
  process.stdout.write(`${JSON.stringify({
    mode: values.mode, requests: r.requests, non2xx: r.non2xx, errors: r.errors,
    kInstructionsPerRequest: Math.round(counted / r.requests / 1000), mainThreadK: Math.round(main / r.requests / 1000),
    v8ThreadsK: Math.round(threads.filter((t) => t.v8).reduce((s, t) => s + t.ir, 0) / r.requests / 1000), dumps: out,
  })}\n`);
} finally {
  await Promise.all(started.reverse().map((p) => p.stop(30_000)));
}
