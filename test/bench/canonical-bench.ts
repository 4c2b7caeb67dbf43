/**
 * The canonical-target step's cost, per request, in-process: the step as it
 * runs on the data path (canonicalTarget + normaliseHost + the route match on
 * the result) against what it replaced (one regex check + the route match on
 * the raw target), and against nothing but the route match. Alternating
 * rounds, medians of ns/request. Compare with an edge hop's time per request
 * (≈ 1 s / the edge-hop req/s of `npm run bench`).
 * `--json` prints one line for `npm run bench`, which sets it against the edge hop.
 *   node dist/test/bench/canonical-bench.js [--rounds 9] [--iterations 500000] [--json]
 */
import { parseArgs } from 'node:util';
import { canonicalTarget, createRouteTable, normaliseHost } from '../../libs/routing/index.js';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '9' }, iterations: { type: 'string', default: '500000' }, json: { type: 'boolean', default: false } } });
const ROUNDS = Number(values.rounds);
const N = Number(values.iterations);

const routes = [
  { name: 'orders', pathPrefix: '/orders' }, { name: 'admin', pathPrefix: '/orders/admin' }, { name: 'inventory', pathPrefix: '/inventory' },
];
const table = createRouteTable(routes);
// the path the benchmark's clients send, and a few other plain ones
const TARGETS = ['/orders/1', '/orders/42?x=1', '/inventory/items/abc-123', '/orders/admin/report?from=2026-01-01'];
const HOST = ['127.0.0.1:8080'];

// what the data path did before: the old check-path regex, then a raw-string match
const UNSAFE = /(?:^|\/)(?:\.|%2e){1,2}(?:\/|\?|$)|%2f|%5c|\\/i;
const rawTarget = (url: string) => {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  return { path, query: q === -1 ? '' : url.slice(q), key: path, folded: path, params: false, slashes: false };
};

let sink = 0;
const variants: Record<string, (url: string) => void> = {
  'match only': (url) => { sink += table.match(undefined, rawTarget(url), 'GET').name.length; },
  'before (regex + raw match)': (url) => {
    if (url.charCodeAt(0) !== 47 || UNSAFE.test(url)) throw new Error('refused');
    sink += table.match(HOST[0], rawTarget(url), 'GET').name.length;
  },
  'canonical (target + host + match)': (url) => {
    const host = normaliseHost(HOST, false);
    sink += table.match(host, canonicalTarget(url), 'GET').name.length;
  },
};

const results: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  const names = Object.keys(variants);
  if (round % 2) names.reverse();
  for (const name of names) {
    const fn = variants[name]!;
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) fn(TARGETS[i & 3]!);
    results[name]!.push(Number(process.hrtime.bigint() - start) / N);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
if (values.json) {
  // the step: canonical target + Host normalisation (the route match ran before the step existed, too)
  const stepNs = median(results['canonical (target + host + match)']!) - median(results['match only']!);
  console.log(JSON.stringify({ stepNs, matchNs: median(results['match only']!), rounds: ROUNDS, iterations: N }));
  process.exit(0);
}
for (const [name, xs] of Object.entries(results)) console.log(`${name.padEnd(36)} ${median(xs).toFixed(1).padStart(7)} ns/request (median of ${ROUNDS})`);
const added = median(results['canonical (target + host + match)']!) - median(results['before (regex + raw match)']!);
console.log(`added by the canonical step over the old check: ${added.toFixed(1)} ns/request${sink < 0 ? '' : ''}`);
