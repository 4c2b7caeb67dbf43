/**
 * How fast a scenario gets back to speed after its processes sat idle: the
 * bench topology; each scenario warmed for 5 s; then, per round and scenario,
 * another scenario keeps the machine busy for `idle` seconds (so the CPU is
 * not idle, only this scenario's processes), and this scenario runs 8 runs of
 * 1 s back to back. Prints req/s per second and the first second's share of
 * the last. Explains why `npm run bench` warms each scenario before timing it.
 *   node dist/test/bench/idle-ramp.js [--idle 20] [--rounds 2]
 */
import { parseArgs } from 'node:util';
import { startBenchTopology } from './lib/bench-topology.js';
import { runWrk } from './lib/wrk.js';
import { getToken } from '../support/topology.js';

const { values } = parseArgs({ options: { idle: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' } } });
const topo = await startBenchTopology({ nginx: false });
try {
  const headers = { Authorization: `Bearer ${await getToken(topo.as, { scope: 'orders:read' })}` };
  const run = (url: string, seconds: number) => runWrk(`${url}/orders/1`, { connections: 50, seconds, headers });
  const scenarios: Record<string, string> = { 'gateway-warm-nolog': topo.edgeNolog.url, 'edge-hop': topo.edgeHop.url, 'node-chain': topo.pipe2.url };
  for (const url of Object.values(scenarios)) await run(url, 5);
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const [name, url] of Object.entries(scenarios)) {
      await run(name === 'node-chain' ? topo.edge.url : topo.pipe2.url, Number(values.idle));
      const rps: number[] = [];
      for (let i = 0; i < 8; i++) rps.push((await run(url, 1)).rps);
      process.stdout.write(`${name.padEnd(19)} 1 s runs after ${values.idle} s idle: ${rps.map((r) => r.toFixed(0)).join(' ')}  first/last ${(rps[0]! / rps[7]!).toFixed(2)}\n`);
    }
  }
} finally {
  await topo.stop();
}
