/**
 * Signatures at the edge and full JWT verifications at the micro per 1 000
 * requests — counts, which a loaded machine does not blur. Two phases on the
 * benchmark's own topology (shipped defaults): `warm`, one token from 50
 * connections for 66 s (one minted JWT lifetime and a bit); `many`, 10 000
 * tokens in 2 s wrk runs 30 s apart (the rhythm of `npm run bench`'s paired
 * phase), with `--renew` the untimed pass over all tokens the bench now makes
 * before each gateway-many run (`--twice`: each token twice in that pass).
 *   node dist/test/bench/work-count.js [--renew [--twice]] [--runs 5]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startBenchTopology } from './lib/bench-topology.js';
import { runWrk } from './lib/wrk.js';
import { runNodeLoad } from './lib/node-load.js';
import { getToken, metric } from '../support/topology.js';

const { values } = parseArgs({ options: { renew: { type: 'boolean', default: false }, twice: { type: 'boolean', default: false }, runs: { type: 'string', default: '5' } } });
const topo = await startBenchTopology({ nginx: false });
try {
  const tokens: string[] = [];
  await Promise.all(Array.from({ length: 16 }, async () => { while (tokens.length < 10_000) tokens.push(await getToken(topo.as, { scope: 'orders:read' })); }));
  const file = join(topo.dir, 'many.txt');
  writeFileSync(file, tokens.join('\n') + '\n');
  const counters = async () => ({ s: await metric(topo.edge, 'phantom_mints_total'), v: await metric(topo.micro, 'phantom_verifications_total') });
  const requests = tokens.map((t, i) => ({ path: `/orders/${i}`, headers: { authorization: `Bearer ${t}` } }));
  await runNodeLoad(topo.edge.url, [...requests, ...requests], 50);
  let before = await counters();
  const warm = await runWrk(`${topo.edge.url}/orders/1`, { connections: 50, seconds: 66, headers: { Authorization: `Bearer ${tokens[0]}` } });
  let after = await counters();
  process.stdout.write(`warm: ${warm.requests} requests, ${after.s - before.s} signatures, ${after.v - before.v} verifications, non2xx ${warm.non2xx}\n`);
  let total = 0; let signatures = 0; let verifications = 0;
  for (let i = 0; i < Number(values.runs); i++) {
    if (values.renew) await runNodeLoad(topo.edge.url, values.twice ? [...requests, ...requests] : requests, 50);
    before = await counters();
    const r = await runWrk(`${topo.edge.url}/orders/1`, { connections: 50, seconds: 2, tokenFile: file });
    after = await counters();
    total += r.requests; signatures += after.s - before.s; verifications += after.v - before.v;
    process.stdout.write(`many run ${i + 1}: ${r.requests} requests, ${after.s - before.s} signatures, ${after.v - before.v} verifications, non2xx ${r.non2xx}\n`);
    await new Promise((resolve) => setTimeout(resolve, 28_000));
  }
  process.stdout.write(`many: per 1000 requests ${(1000 * signatures / total).toFixed(1)} signatures, ${(1000 * verifications / total).toFixed(1)} verifications (renew pass: ${values.renew})\n`);
} finally {
  await topo.stop();
}
