/**
 * Keeps the benchmark harness from rotting: runs it for about a second per
 * scenario and checks that the report is complete. No thresholds: a
 * benchmark reports, it does not fail for being slow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FloodResult } from './lib/report.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/topology.js';

const haveWrk = spawnSync('wrk', ['--version']).error === undefined;

test('npm run bench --smoke produces a complete table, JSON report and SVG chart, the gateways logging with the shipped defaults', { skip: haveWrk ? false : 'wrk is not installed (.ci/run installs it)', timeout: 300_000 }, () => {
  const out = tempDir();
  const stdout = execFileSync(process.execPath, [fileURLToPath(new URL('./run-bench.js', import.meta.url)), '--smoke', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const report = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
    scenarios: { name: string; accessLog?: string; rps: number; p50ms: number; p99ms: number; errors: number; non2xx: number; paired?: { reference: string; ratios: number[]; median: number } }[];
    targets: { name: string; met: boolean | null }[]; accounting: Record<string, { introspections: number; signatures: number }>;
    memory: { edge: { afterMiB: number }; limiter: { afterMiB: number } }; peakRssMiB: Record<string, number>;
    commit: string; logBytes: Record<string, number>; coldCpuUsPerRequest: Record<string, number>;
    coldFloor: { ratios: number[]; median: number; gatewayOverFloor: number; cpuUsPerRequest: Record<string, number>; tokens: number; introspections: number };
    pairs: { name: string; reference: string; median: number; target?: number }[]; flood?: FloodResult;
  };
  const names = report.scenarios.map((s) => s.name);
  for (const name of ['direct', 'pipe-hop', 'node-chain', 'edge-hop', 'micro-hop', 'gateway-warm', 'gateway-many', 'gateway-cold', 'as-introspect', 'floor-cold']) {
    assert.ok(names.includes(name), `scenario ${name}`);
  }
  for (const s of report.scenarios) {
    assert.ok(s.rps > 0 && Number.isFinite(s.p50ms) && Number.isFinite(s.p99ms), s.name);
    assert.equal(s.errors, 0, `${s.name} socket errors`);
    assert.equal(s.non2xx, 0, `${s.name} answered non-2xx`);
  }
  // the ratio targets come from the paired phase, each against its own reference
  for (const [name, reference] of [['edge-hop', 'pipe-hop'], ['micro-hop', 'pipe-hop'], ['gateway-warm', 'node-chain']]) {
    const paired = report.scenarios.find((s) => s.name === name)?.paired;
    assert.equal(paired?.reference, reference, `${name} paired against ${reference}`);
    assert.ok(paired.ratios.length >= 1 && paired.ratios.every((r) => r > 0) && paired.median > 0, `${name} paired ratios`);
  }
  // the shipped defaults: the access log on (to a file) for the gateway scenarios, off only for the paired log-cost scenario
  for (const name of ['edge-hop', 'micro-hop', 'gateway-warm', 'gateway-many', 'gateway-cold']) assert.equal(report.scenarios.find((s) => s.name === name)?.accessLog, 'on (file)', name);
  assert.equal(report.scenarios.find((s) => s.name === 'gateway-warm-nolog')?.accessLog, 'off');
  assert.ok(report.logBytes.edge! > 10 * report.logBytes['edge-nolog']! && report.logBytes.micro! > 10 * report.logBytes['micro-nolog']!, JSON.stringify(report.logBytes));
  for (const [name, reference] of [['gateway-warm', 'gateway-warm-nolog'], ['gateway-many', 'gateway-warm'], ['gateway-cold', 'as-introspect']]) {
    assert.ok(report.pairs.some((p) => p.name === name && p.reference === reference && p.median > 0 && typeof p.target === 'number'), `${name}/${reference} in the ratio view`);
  }
  assert.match(report.commit, /^[0-9a-f]{12}/);
  for (const process of ['edge', 'micro', 'as']) assert.ok(Number.isFinite(report.coldCpuUsPerRequest[process]), `cold CPU µs of ${process}`);
  // the cold floor ran in every block (its answers are 2xx: checked with the scenarios above) and its CPU was counted
  assert.ok(report.coldFloor.ratios.length >= 1 && report.coldFloor.ratios.every((r) => r > 0) && report.coldFloor.gatewayOverFloor > 0, JSON.stringify(report.coldFloor));
  for (const process of ['edge', 'micro']) assert.ok(report.coldFloor.cpuUsPerRequest[process]! >= 0, `cold floor CPU µs of ${process}`);
  // and it did the work: one introspection at the AS per token it was sent
  assert.equal(report.coldFloor.introspections, report.coldFloor.tokens, 'the cold floor introspected every token');
  assert.ok(report.coldFloor.tokens > 0);
  assert.ok(report.targets.some((t) => t.name.startsWith('tail:')) && report.targets.some((t) => t.name.startsWith('access log cost')));
  assert.ok(report.targets.length >= 9);
  for (const scenario of ['gateway-warm', 'gateway-many', 'gateway-cold']) assert.ok(report.accounting[scenario], scenario);
  assert.ok(report.memory.edge.afterMiB > 0 && report.memory.limiter.afterMiB > 0);
  assert.ok(report.peakRssMiB.edge! > 0);
  // the junk flood: distinct junk tokens sent, the valid token timed ≥ 100 times, the AS held to the per-peer rate (GCRA: a burst of `limit`, then `limit` per second)
  const flood = report.flood!;
  assert.ok(flood.floodRequests > 0 && flood.during.n >= 100 && flood.quiet.n >= 100, JSON.stringify(flood));
  assert.ok(flood.introspections <= flood.perPeerLimit * (Math.ceil(flood.floodSeconds) + 2), `${flood.introspections} introspections in ${flood.floodSeconds} s`);
  assert.ok(report.targets.some((t) => t.name.startsWith('junk flood')));
  const svg = readFileSync(join(out, 'latest.svg'), 'utf8');
  assert.match(svg, /^<svg[^>]+>[\s\S]*gateway-warm[\s\S]*<\/svg>\n$/);
  assert.match(svg, /Claimed ratios[\s\S]*gateway-warm \/ node-chain/);
  assert.match(stdout, /scenario +req\/s/);
});
