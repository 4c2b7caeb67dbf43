/**
 * The policy step's cost per request with a warm decision cache, in-process:
 * claim rules only, the PDP step only (cached), both; alternating rounds,
 * medians of CPU ns/request (process.cpuUsage, so a loaded machine's waiting is left out). Compare with an edge hop's time per request
 * (≈ 1 s / the edge-hop req/s of `npm run bench`).
 *   node dist/test/bench/policy-bench.js [--rounds 9] [--iterations 300000]
 */
import { parseArgs } from 'node:util';
import { policySchema } from '../../libs/config/policy-schema.js';
import { createPolicyCheck, createPolicyStats, type PolicyRequest } from '../../libs/policy/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, iterations: { type: 'string', default: '300000' } } });
const ROUNDS = Number(values.rounds);
const N = Number(values.iterations);

const pdp = { url: 'http://127.0.0.1:1', bearerToken: 'x' };
const claims = { pathTemplate: '/orders/:client', claims: [{ name: 'own', claim: 'client_id', equalsParam: 'client' }, { claim: 'scope', exists: true }] };
const client = () => Promise.resolve({ decision: true, by: 'authzen' as const });
const make = (policy: unknown) => createPolicyCheck({ policy: policySchema.parse(policy), route: 'orders', audience: 'orders', stats: createPolicyStats(), pdp: client })!;
const variants = { claims: make(claims), pdp: make({ pdp }), both: make({ ...claims, pdp }) };
const facts = { active: true, client_id: 'demo-app', scope: 'orders:read orders:write', exp: 2e9, iss: 'http://127.0.0.1:4000' };
// the benchmark's clients spread over a few paths (all cached after the warm-up)
const PATHS = ['/orders/demo-app/1', '/orders/demo-app/2', '/orders/demo-app/3', '/orders/demo-app/4'];

for (const check of Object.values(variants)) for (const path of PATHS) await check(facts, { method: 'GET', path });

const results: Record<string, number[]> = { claims: [], pdp: [], both: [] };
let sink = 0;
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, check] of Object.entries(variants)) {
    const cpu = process.cpuUsage();
    for (let i = 0; i < N; i++) {
      const req: PolicyRequest = { method: 'GET', path: PATHS[i & 3]! };
      if (check(facts, req) !== undefined) throw new Error('not cached');
      sink += req.policy!.length;
    }
    const used = process.cpuUsage(cpu);
    results[name]!.push(((used.user + used.system) * 1000) / N);
  }
}
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [name, xs] of Object.entries(results)) process.stdout.write(`${name.padEnd(7)} ${median(xs).toFixed(0)} CPU ns/request (median of ${ROUNDS}; min ${Math.min(...xs).toFixed(0)})\n`);
if (sink === 0) process.stdout.write('\n');
