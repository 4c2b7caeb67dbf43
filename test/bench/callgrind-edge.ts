/**
 * Instructions per request at a gateway, counted by valgrind's callgrind —
 * a figure that survives a noisy, shared machine where wall-clock and even
 * /proc CPU time do not. The gateway runs under callgrind (threads apart);
 * after a warm-up the counters are zeroed, `requests` requests run (4 at a
 * time), and the counts are dumped. The figure sums the main thread and
 * libuv's pool (crypto jobs, fs) and leaves out V8's platform threads (the
 * optimizing compiler and concurrent GC, whose share depends on how far the
 * JIT got under valgrind's slowness).
 *   node dist/test/bench/callgrind-edge.js [--gateway edge|micro] [--mode cold|warm] [--requests 300] [--warmup 150] [--out DIR]
 *                                          [--access-log on|off] [--script path/to/main.js] [--node-arg=--perf-basic-prof]
 * edge: the edge under callgrind in front of a micro gateway and the backend; cold: a new token per
 * request (introspection + signature each); warm: one token (cached).
 * micro: the micro gateway under callgrind in front of the backend, sent JWTs the edge minted
 * (cold: a new JWT per request, a signature check each; warm: one JWT, verified once, then from the verified-token cache).
 * --access-log off prices the access line; --script runs another build of the gateway (an older commit's dist);
 * --node-arg passes a flag to node (--perf-basic-prof writes /tmp/perf-PID.map, which names the JIT code's addresses in the dumps).
 * Needs valgrind (Debian: apt-get install valgrind). About 3 minutes for 300 cold requests.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { edgeConfig, freePort, getToken, microConfig, mintedJwt, startDevAs, tempDir, writeYaml, SCRIPTS } from '../support/topology.js';
import { runNodeLoad } from './lib/node-load.js';

const { values } = parseArgs({ options: {
  gateway: { type: 'string', default: 'edge' }, mode: { type: 'string', default: 'cold' }, requests: { type: 'string', default: '300' }, warmup: { type: 'string', default: '150' },
  out: { type: 'string' }, 'access-log': { type: 'string', default: 'on' }, script: { type: 'string' }, 'node-arg': { type: 'string', multiple: true, default: [] },
} });
const micro = values.gateway === 'micro';
const cold = values.mode === 'cold';
const n = Number(values.requests); const warmups = Number(values.warmup);
const dir = tempDir();
const out = values.out ?? join(dir, 'callgrind');
mkdirSync(out, { recursive: true });
const logging = values['access-log'] === 'off' ? { logging: { accessLog: false } } : {};
const route = { name: 'orders', pathPrefix: '/orders', scopes: ['orders:read'], rateLimit: { perClient: { limit: 1_000_000_000, per: '1s' } }, concurrency: { max: 4096, queue: 0 } };
const underCallgrind = (name: string, script: string, config: string) => spawnProgram({
  name, script: '', command: 'valgrind', timeoutMs: 600_000,
  args: ['--tool=callgrind', `--callgrind-out-file=${out}/cg.%p`, '--separate-threads=yes', process.execPath, ...values['node-arg'], values.script ?? script, '--config', config],
});
const started: Program[] = [];
try {
  const backend = await spawnProgram({ name: 'backend', script: fileURLToPath(new URL('./servers/backend.js', import.meta.url)) }); started.push(backend);
  const as = await startDevAs(); started.push(as);
  const [edgePort, microPort] = [await freePort(), await freePort()];
  const microUrl = micro ? backend.url : `http://127.0.0.1:${microPort}`;
  // measuring the micro: the edge in front of the backend only mints the JWT (an hour long, so one outlasts valgrind's slowness) and serves the JWKS
  const edgeDoc = edgeConfig(as.url, edgePort, microUrl, {
    admin: { port: 0 }, introspection: { unknownTokensPerPeer: { limit: 1_000_000, per: 1 } }, ...(micro ? { minting: { ttlSeconds: 3600 } } : logging),
  });
  const edgeYaml = writeYaml(dir, 'edge.yaml', edgeDoc);
  const edge = micro ? await spawnProgram({ name: 'edge', script: SCRIPTS.edge, args: ['--config', edgeYaml] }) : await underCallgrind('edge', SCRIPTS.edge, edgeYaml);
  started.push(edge);
  const microDoc = microConfig(edge.url, microPort, backend.url, { admin: { port: 0 }, routes: [route], ...(micro ? { ...logging, verification: { maxLifetimeSeconds: 3600 } } : {}) });
  delete microDoc.claimHeaders; // the micro as it ships: the JWT forwarded, no claim headers
  const microYaml = writeYaml(dir, 'micro.yaml', microDoc);
  const microGateway = micro ? await underCallgrind('micro', SCRIPTS.micro, microYaml) : await spawnProgram({ name: 'micro', script: SCRIPTS.micro, args: ['--config', microYaml] });
  started.push(microGateway);
  const measured = micro ? microGateway : edge;
  const pid = String(measured.child.pid);
  const tokens: string[] = [];
  const wanted = cold ? n + warmups : 1;
  await Promise.all(Array.from({ length: 8 }, async () => { while (tokens.length < wanted) tokens.push(await getToken(as, { scope: 'orders:read' })); }));
  if (micro) for (let i = 0; i < tokens.length; i++) tokens[i] = await mintedJwt(edge.url, tokens[i]!);
  const request = (t: string, i: number) => ({ path: `/orders/${i}`, headers: { authorization: `Bearer ${t}` } });
  await runNodeLoad(measured.url, cold ? tokens.slice(0, warmups).map(request) : Array.from({ length: warmups * 4 }, (_, i) => request(tokens[0]!, i)), 4);
  execFileSync('callgrind_control', ['-z', pid]);
  const r = await runNodeLoad(measured.url, cold ? tokens.slice(warmups, warmups + n).map(request) : Array.from({ length: n }, (_, i) => request(tokens[0]!, i)), 4);
  execFileSync('callgrind_control', ['-d', 'measured', pid]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const threads = readdirSync(out).filter((f) => f.startsWith(`cg.${pid}.1-`)).sort().map((f) => {
    const text = readFileSync(join(out, f), 'utf8');
    return { file: f, ir: Number(/^summary: (\d+)/m.exec(text)?.[1] ?? 0), v8: text.includes('PlatformWorkerThread') };
  });
  const counted = threads.filter((t) => !t.v8).reduce((s, t) => s + t.ir, 0);
  const main = threads[0]?.ir ?? 0;
  process.stdout.write(`${JSON.stringify({
    gateway: micro ? 'micro' : 'edge', mode: values.mode, accessLog: values['access-log'], requests: r.requests, non2xx: r.non2xx, errors: r.errors,
    kInstructionsPerRequest: Math.round(counted / r.requests / 1000), mainThreadK: Math.round(main / r.requests / 1000),
    v8ThreadsK: Math.round(threads.filter((t) => t.v8).reduce((s, t) => s + t.ir, 0) / r.requests / 1000), dumps: out,
  })}\n`);
} finally {
  await Promise.all(started.reverse().map((p) => p.stop(30_000)));
}
