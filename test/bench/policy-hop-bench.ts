/**
 * The policy step at the edge, paired: one edge process with two routes to the
 * same backend, `/plain` (scopes only) and `/policy` (claim rules + the dev
 * AuthZEN PDP, decisions warm in the cache); short wrk runs in ABBA order, the
 * median of the per-pair ratios. Shipped defaults otherwise (access log on).
 *   node dist/test/bench/policy-hop-bench.js [--pairs 6] [--seconds 3] [--connections 50]
 */
import { parseArgs } from 'node:util';
import { spawnProgram, type Program } from '../../libs/process/index.js';
import { getToken, SCRIPTS, startBackend, startDevAs, startEdge, tempDir, writeYaml } from '../support/topology.js';
import { hasWrk, runWrk } from './lib/wrk.js';

const { values } = parseArgs({ options: { pairs: { type: 'string', default: '6' }, seconds: { type: 'string', default: '3' }, connections: { type: 'string', default: '50' } } });
if (!hasWrk()) throw new Error('wrk is required');
const started: Program[] = [];
try {
  const [as, backend, pdp] = await Promise.all([startDevAs(), startBackend(), spawnProgram({
    name: 'pdp', script: SCRIPTS.pdp, args: ['--port', '0', '--rules', writeYaml(tempDir(), 'rules.yaml', { default: true })],
  })]);
  started.push(as, backend, pdp);
  const route = (name: string, policy?: object) => ({ name, pathPrefix: `/${name}`, upstream: backend.url, audience: 'orders', scopes: ['orders:read'], ...(policy ? { policy } : {}) });
  const edge = await startEdge(as.url, backend.url, {
    routes: [route('plain'), route('policy', {
      pathTemplate: '/policy/:client', claims: [{ name: 'own', claim: 'client_id', equalsParam: 'client' }], pdp: { url: pdp.url },
    })],
  });
  started.push(edge);
  const token = await getToken(as, { scope: 'orders:read' });
  const headers = { authorization: `Bearer ${token}` };
  const run = (path: string) => runWrk(`${edge.url}${path}`, { seconds: Number(values.seconds), connections: Number(values.connections), headers });
  await run('/plain/demo-app/1');
  await run('/policy/demo-app/1');
  const ratios: number[] = [];
  for (let i = 0; i < Number(values.pairs); i++) {
    const order = i % 2 === 0 ? ['/plain/demo-app/1', '/policy/demo-app/1'] : ['/policy/demo-app/1', '/plain/demo-app/1'];
    const r: Record<string, number> = {};
    for (const path of order) {
      const res = await run(path);
      if (res.errors || res.non2xx) throw new Error(`${path}: ${res.errors} errors, ${res.non2xx} non-2xx`);
      r[path.split('/')[1]!] = res.rps;
    }
    ratios.push(r.policy! / r.plain!);
    process.stdout.write(`pair ${i + 1}: plain ${r.plain!.toFixed(0)} req/s, policy ${r.policy!.toFixed(0)} req/s, ratio ${(r.policy! / r.plain!).toFixed(3)}\n`);
  }
  const median = ratios.slice().sort((a, b) => a - b)[Math.floor(ratios.length / 2)]!;
  process.stdout.write(`median policy/plain throughput ratio: ${median.toFixed(3)} (cost ≈ ${((1 - median) * 100).toFixed(1)} % of an edge hop)\n`);
} finally {
  await Promise.all(started.map((p) => p.stop()));
}
