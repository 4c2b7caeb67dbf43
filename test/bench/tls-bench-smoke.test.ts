/**
 * Keeps the TLS benchmark harness from rotting: `tls-bench --smoke` (1 s runs,
 * few connections) must produce every scenario, every paired ratio and every
 * target in its JSON report and table. No thresholds: a benchmark reports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/topology.js';
import { hasNginx } from './lib/bench-host.js';

const haveWrk = spawnSync('wrk', ['--version']).error === undefined;
const nginx = hasNginx();

test('npm run bench:tls --smoke reports every TLS scenario (keep-alive hop, full handshakes, mTLS chain), every paired ratio and every target', { skip: haveWrk ? false : 'wrk is not installed (.ci/run installs it)', timeout: 120_000 }, () => {
  const out = tempDir();
  const stdout = execFileSync(process.execPath, [fileURLToPath(new URL('./tls-bench.js', import.meta.url)), '--smoke', '--out', out], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const report = JSON.parse(readFileSync(join(out, 'tls-latest.json'), 'utf8')) as {
    commit: string; notes: string[];
    scenarios: { name: string; family: string; cpuUsPerRequest: number; cpuUsPerRequestByProcess?: Record<string, number>; requestsAllRuns: number; accessLog: string; rps: number; p50ms: number; p99ms: number; errors: number; non2xx: number; connections?: number; resumed?: number; protocol?: string }[];
    pairs: { name: string; reference: string; ratios: number[]; median: number; target?: number }[];
    targets: { name: string; figure: string; met: boolean | null }[];
  };
  // nginx is optional (skipped with a note when the binary is absent)
  const withNginx = (names: string[]) => names.filter((n) => nginx || !n.startsWith('nginx'));
  const expected = withNginx(['edge-tls-hop', 'pipe-tls-hop', 'nginx-tls-hop', 'edge-tls-new', 'pipe-tls-new', 'nginx-tls-new', 'edge-mtls-chain', 'nginx-mtls-chain']);
  assert.deepEqual(report.scenarios.map((s) => s.name), expected);
  for (const s of report.scenarios) {
    // traffic went through (over all its timed runs: a 1 s run on a busy machine can end before its handshakes do)
    assert.ok(s.requestsAllRuns > 0 && s.rps >= 0 && Number.isFinite(s.p50ms) && Number.isFinite(s.p99ms), s.name);
    assert.equal(s.errors, 0, `${s.name} socket errors`);
    assert.equal(s.non2xx, 0, `${s.name} answered non-2xx`);
    assert.ok(Number.isInteger(s.cpuUsPerRequest) && s.cpuUsPerRequest >= 0, `${s.name} CPU µs per request`);
    assert.equal(s.accessLog, s.name.startsWith('pipe') ? 'none' : s.name === 'edge-mtls-chain' ? 'on (file), both hops' : 'on (file)', s.name);
  }
  // the chain's CPU is also split between its two gateways
  assert.deepEqual(Object.keys(report.scenarios.find((s) => s.name === 'edge-mtls-chain')?.cpuUsPerRequestByProcess ?? {}), ['edge', 'micro']);
  // the new-handshake scenarios: every connection a full TLS handshake, none resumed
  const fresh = report.scenarios.filter((s) => s.family === 'new-handshake');
  assert.deepEqual(fresh.map((s) => s.name), withNginx(['edge-tls-new', 'pipe-tls-new', 'nginx-tls-new']));
  for (const s of fresh) {
    assert.ok((s.connections ?? 0) > 0, s.name);
    assert.equal(s.resumed, 0, `${s.name} resumed sessions`);
    assert.match(s.protocol ?? '', /^TLSv1\.[23] /, s.name);
  }
  const pairs = report.pairs.map((p) => `${p.name}/${p.reference}`);
  assert.deepEqual(pairs, ['edge-tls-hop/pipe-tls-hop', ...(nginx ? ['edge-tls-hop/nginx-tls-hop'] : []), 'edge-tls-new/pipe-tls-new', ...(nginx ? ['edge-tls-new/nginx-tls-new', 'edge-mtls-chain/nginx-mtls-chain'] : [])]);
  for (const p of report.pairs) assert.ok(p.ratios.length >= 1 && p.ratios.every((r) => r >= 0) && p.median >= 0, `${p.name}/${p.reference} ratios`);
  assert.equal(report.pairs[0]!.target, 0.85);
  // the targets: the 0.85 ratio judged, the nginx and handshake comparisons reported, the full-handshake check met
  assert.deepEqual(report.targets.map((t) => [t.name, t.met === null ? null : typeof t.met]), [
    ['TLS edge hop (defaults, access log on) ≥ 0.85× the node:https pipe hop', 'boolean'],
    ['TLS edge hop vs nginx TLS hop (reported)', null],
    ['new-handshake rate: edge vs node:https pipe vs nginx (reported)', null],
    ['mTLS chain: edge → micro vs the same chain in nginx (reported)', null],
    ['every new-handshake connection was a full handshake (no resumption)', 'boolean'],
  ]);
  assert.equal(report.targets[4]!.met, true, report.targets[4]!.figure);
  assert.match(report.targets[2]!.figure, /^edge \d+\/s, pipe \d+\/s, nginx (\d+\/s|not measured) /);
  assert.equal(report.notes.some((n) => n.startsWith('nginx scenarios skipped')), !nginx);
  assert.match(report.commit, /^[0-9a-f]{12}/);
  assert.match(stdout, /scenario +req\/s +p50 ms/);
  assert.match(stdout, /\[(met|NOT met)\] TLS edge hop .* ≥ 0\.85× the node:https pipe hop: \d+\.\d\d×/);
  assert.match(stdout, /\[n\/a\] mTLS chain/);
});
