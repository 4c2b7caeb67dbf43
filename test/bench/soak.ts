/**
 * The soak (`npm run soak`, not part of `npm test`): mixed traffic through
 * the edge and two micro gateways for a while (default 10 minutes), the
 * configuration files rewritten every 30 s (the gateways reload), and the
 * dependencies restarted in turn — the dev AS, then Redis, one every
 * `--restart-seconds` — each down for `--down-seconds`. Samples RSS of every
 * process and the gateways' event-loop delay; prints status counts, crashes
 * and whether the targets were met (exit code 1 when not).
 *   npm run soak -- [--minutes 10] [--rate 150] [--reload-seconds 30] [--restart-seconds 60] [--down-seconds 5]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Program } from '../../libs/process/index.js';
import { startSoakTopology, type Role } from './lib/soak-topology.js';
import { startSoakTraffic } from './lib/soak-traffic.js';
import { takeSample, verdict, type Sample, type Window } from './lib/soak-report.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '150' },
    connections: { type: 'string', default: '16' },
    'reload-seconds': { type: 'string', default: '30' },
    'restart-seconds': { type: 'string', default: '60' },
    'down-seconds': { type: 'string', default: '5' },
    'sample-seconds': { type: 'string', default: '5' },
  },
});
const durationMs = Number(values.minutes) * 60_000;
const warmupMs = Math.min(120_000, durationMs / 5);
const GATEWAYS = ['edge', 'micro-orders', 'micro-inventory'] as const;

const t = await startSoakTopology();
const start = performance.now();
const now = () => performance.now() - start;
const crashes: string[] = [];
const stopping = new Set<Program>();
const watch = (role: Role, p: Program) => { void p.exited.then((code) => { if (!stopping.has(p)) crashes.push(`${role} exited with ${code} at ${Math.round(now() / 1000)} s`); }); };
for (const [role, p] of t.programs) watch(role, p);

const traffic = startSoakTraffic({ edgeUrl: t.edgeUrl, asUrl: () => t.asUrl, rate: Number(values.rate), connections: Number(values.connections), now });
await traffic.refreshTokens();
console.log(`soak: ${values.minutes} min, ${values.rate} req/s target, reload every ${values['reload-seconds']} s, a dependency restart every ${values['restart-seconds']} s; files in ${t.dir}`);

const samples: Sample[] = [];
const windows: Window[] = [];
const restarts = { as: 0, redis: 0 };
const sampler = setInterval(() => {
  void takeSample(now(), t.programs, GATEWAYS).then((s) => {
    samples.push(s);
    console.log(`${Math.round(s.at / 1000)} s  rss ${JSON.stringify(s.rssMb)}  heap ${JSON.stringify(s.heapMb)}  lag p99 ${JSON.stringify(s.lagP99Ms)}`);
  }, (err: Error) => console.log(`sample failed: ${err.message}`));
}, Number(values['sample-seconds']) * 1000);
const reloader = setInterval(() => t.reload(), Number(values['reload-seconds']) * 1000);

let turn = 0;
let restarting: Promise<void> | undefined;
const restarter = setInterval(() => {
  if (restarting) return;
  const role = turn++ % 2 === 0 ? 'as' : 'redis';
  const window: Window = { role, from: now(), to: Number.POSITIVE_INFINITY };
  windows.push(window);
  stopping.add(t.programs.get(role)!);
  restarting = t.restart(role, Number(values['down-seconds']) * 1000).then(async () => {
    window.to = now();
    restarts[role]++;
    watch(role, t.programs.get(role)!);
    // the restarted AS knows none of the tokens issued before: the clients get new ones
    if (role === 'as') await traffic.refreshTokens();
  }).catch((err: Error) => { crashes.push(`restart of ${role} failed: ${err.message}`); }).finally(() => { restarting = undefined; });
}, Number(values['restart-seconds']) * 1000);

await new Promise((r) => setTimeout(r, durationMs));
clearInterval(restarter);
clearInterval(reloader);
await restarting;
clearInterval(sampler);
samples.push(await takeSample(now(), t.programs, GATEWAYS));
await traffic.stop();

const reloads: Record<string, number> = {};
for (const role of GATEWAYS) {
  const log = readFileSync(t.logFiles.get(role)!, 'utf8');
  reloads[`${role} reloaded`] = log.split('"configuration reloaded"').length - 1;
  reloads[`${role} refused`] = log.split('configuration reload refused').length - 1;
}
for (const p of t.programs.values()) stopping.add(p);
await t.stop();

const result = verdict({ samples, warmupMs, durationMs, counts: traffic.counts, serverErrors: traffic.serverErrors, windows, graceMs: 10_000, crashes, reloads, restarts });
console.log(result.lines.join('\n'));
const file = join(t.dir, 'soak-report.json');
writeFileSync(file, JSON.stringify({ minutes: Number(values.minutes), rate: Number(values.rate), ...result.summary, samples }, null, 1));
console.log(`report: ${file}`);
process.exit(result.met ? 0 : 1);
