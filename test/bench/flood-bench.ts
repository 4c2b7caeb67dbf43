/**
 * A junk-token flood against the edge as it ships (issue #10): wrk sends
 * distinct random tokens, each on a new connection (`Connection: close`, the
 * costlier kind for the edge), as fast as the edge answers; meanwhile this
 * process sends a cached valid token, one request after another, each on a
 * new connection too, and times it. Printed: the valid token's latency quiet
 * and during the flood (p99 over every request sent in the flood, ≥ 100 of
 * them), the flood's rate, and the introspection calls the AS saw against
 * the per-peer rate of unknown tokens (default 20/s).
 * The edge is warmed on both paths first — a valid token and a short burst of
 * junk from another address — as a deployed edge is: the figure is the
 * flood's cost, not the JIT's first compile of the refusal path.
 *   node dist/test/bench/flood-bench.js [--seconds 5] [--connections 10] [--json]
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { asStats, edgeConfig, freePort, getToken, startDevAs, tempDir, writeYaml, SCRIPTS } from '../support/topology.js';
import { cpuSplitMsOf } from './lib/bench-host.js';
import { spawnLogged } from './lib/spawn-logged.js';
import { runWrk } from './lib/wrk.js';
import type { FloodResult } from './lib/report.js';

const { values } = parseArgs({ options: {
  seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '10' }, json: { type: 'boolean', default: false },
} });
const seconds = Number(values.seconds);
const log = (line: string) => { if (!values.json) console.log(line); };

/** One GET on a fresh connection: status and milliseconds. */
function timedGet(url: string, token: string, localAddress = '127.0.0.1'): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    request(url, { headers: { authorization: `Bearer ${token}` }, agent: false, localAddress }, (res) => {
      res.resume().on('end', () => resolve({ status: res.statusCode!, ms: performance.now() - start }));
    }).on('error', reject).end();
  });
}

const percentile = (values: readonly number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))]!;

async function timeValid(url: string, token: string, until: () => boolean, min: number): Promise<number[]> {
  const times: number[] = [];
  while (until() || times.length < min) {
    const r = await timedGet(url, token);
    if (r.status !== 200) throw new Error(`the cached valid token got ${r.status}`);
    times.push(r.ms);
  }
  return times;
}

const dir = tempDir();
const started: Program[] = [];
try {
  const backend = await spawnProgram({ name: 'backend', script: fileURLToPath(new URL('./servers/backend.js', import.meta.url)) }); started.push(backend);
  const as = await startDevAs(); started.push(as);
  const port = await freePort();
  // the shipped defaults (access log on, to a file; 20 unknown tokens per peer per second), straight to the backend
  const edge = await spawnLogged({ name: 'edge', script: SCRIPTS.edge, args: ['--config', writeYaml(dir, 'edge.yaml', edgeConfig(as.url, port, backend.url))], logFile: join(dir, 'edge.log') });
  started.push(edge);
  const token = await getToken(as, { scope: 'orders:read' });
  const valid = `${edge.url}/orders/valid`;
  const junkFile = join(dir, 'junk-tokens');
  writeFileSync(junkFile, Array.from({ length: 200_000 }, () => randomBytes(24).toString('base64url')).join('\n'));
  // warm-up: the valid path, then the refusal path from another address
  await timeValid(valid, token, () => false, 200);
  await Promise.all(Array.from({ length: 10 }, async (_, c) => { for (let i = 0; i < 30; i++) await timedGet(`${edge.url}/orders/warm-${c}`, randomBytes(24).toString('base64url'), '127.0.0.3'); }));
  const quiet = await timeValid(valid, token, () => false, 200);
  const calls0 = (await asStats(as)).introspections;
  const cpu0 = cpuSplitMsOf(edge.child.pid!);
  let flooding = true;
  const flood = runWrk(`${edge.url}/orders/junk`, { connections: Number(values.connections), seconds, headers: { Connection: 'close' }, tokenFile: junkFile })
    .finally(() => { flooding = false; });
  const during = await timeValid(valid, token, () => flooding, 100);
  const junk = await flood;
  const calls = (await asStats(as)).introspections - calls0;
  const cpu1 = cpuSplitMsOf(edge.child.pid!);
  const perRequest = (ms: number) => Math.round(ms * 1000 / (junk.requests + during.length));
  const edgeCpuUs = perRequest(cpu1.user + cpu1.system - cpu0.user - cpu0.system);
  const edgeKernelUs = perRequest(cpu1.system - cpu0.system);
  const result: FloodResult = {
    floodRps: Math.round(junk.rps), floodRequests: junk.requests, floodSeconds: Number(junk.seconds.toFixed(2)),
    introspections: calls, perPeerLimit: 20, edgeCpuUsPerRequest: edgeCpuUs, edgeKernelUsPerRequest: edgeKernelUs,
    quiet: { n: quiet.length, p50: Number(percentile(quiet, 0.5).toFixed(2)), p99: Number(percentile(quiet, 0.99).toFixed(2)) },
    during: { n: during.length, p50: Number(percentile(during, 0.5).toFixed(2)), p99: Number(percentile(during, 0.99).toFixed(2)), max: Number(Math.max(...during).toFixed(2)) },
  };
  if (values.json) console.log(JSON.stringify(result));
  log(`junk flood: ${result.floodRequests} distinct junk tokens in ${result.floodSeconds} s (${result.floodRps}/s, ${values.connections} connections, a new connection each); the AS saw ${calls} introspections (per-peer rate 20/s); edge CPU ${edgeCpuUs} µs per request (${edgeKernelUs} in the kernel)`);
  log(`cached valid token, quiet:  p50 ${result.quiet.p50} ms, p99 ${result.quiet.p99} ms (${result.quiet.n} requests)`);
  log(`cached valid token, during: p50 ${result.during.p50} ms, p99 ${result.during.p99} ms, max ${result.during.max} ms (${result.during.n} requests) — target p99 < 50 ms: ${result.during.p99 < 50 ? 'met' : 'NOT met'}`);
} finally {
  await Promise.all(started.map((p) => p.stop()));
}
