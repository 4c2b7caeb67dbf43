/**
 * Forwarding micro-benchmark: our forwarding path (Hono + libs/proxy) against
 * a plain node:http pipe proxy, same backend, alternating rounds in one run.
 * Prints both throughputs and the ratio (target ≥ 0.9).
 *   npm run bench:forwarding -- [--rounds 3] [--seconds 5] [--connections 50]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { hasWrk, runWrk, type LoadResult } from './lib/wrk.js';

const { values } = parseArgs({ options: {
  rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '50' },
} });
const server = (name: string) => fileURLToPath(new URL(`./servers/${name}.js`, import.meta.url));

if (!hasWrk()) {
  process.stderr.write('forwarding-bench needs wrk (apt-get install wrk)\n');
  process.exit(1);
}
const programs: Program[] = [];
try {
  const backend = await spawnProgram({ name: 'backend', script: server('backend') });
  programs.push(backend);
  const pipe = await spawnProgram({ name: 'pipe', script: server('pipe-proxy'), args: [backend.url] });
  const ours = await spawnProgram({ name: 'ours', script: server('gateway-forwarder'), args: [backend.url] });
  programs.push(pipe, ours);
  const load = { connections: Number(values.connections), seconds: Number(values.seconds) };
  await runWrk(`${pipe.url}/warm`, { ...load, seconds: 2 });
  await runWrk(`${ours.url}/warm`, { ...load, seconds: 2 });
  const results: { pipe: LoadResult[]; ours: LoadResult[] } = { pipe: [], ours: [] };
  for (let round = 1; round <= Number(values.rounds); round++) {
    const order = round % 2 ? (['pipe', 'ours'] as const) : (['ours', 'pipe'] as const);
    for (const which of order) {
      const r = await runWrk(`${(which === 'pipe' ? pipe : ours).url}/bench`, load);
      results[which].push(r);
      process.stdout.write(`round ${round} ${which.padEnd(4)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50ms.toFixed(2)} ms  p99 ${r.p99ms.toFixed(2)} ms  errors ${r.errors + r.non2xx}\n`);
    }
  }
  const total = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.requests, 0) / rs.reduce((s, r) => s + r.seconds, 0);
  // each round's two runs are back to back, so their ratio cancels most machine drift; the median resists a noisy round
  const ratios = results.ours.map((r, i) => r.rps / results.pipe[i]!.rps).sort((a, b) => a - b);
  const median = ratios[Math.floor(ratios.length / 2)]!;
  process.stdout.write(`\nnode:http pipe proxy  ${total(results.pipe).toFixed(0)} req/s (all rounds)\nour forwarding        ${total(results.ours).toFixed(0)} req/s (all rounds)\nper-round ratios      ${ratios.map((r) => r.toFixed(2)).join(' ')}\nmedian ratio ours/pipe ${median.toFixed(2)}  (target ≥ 0.90: ${median >= 0.9 ? 'met' : 'not met'})\n`);
} finally {
  await Promise.all(programs.map((p) => p.stop()));
}
