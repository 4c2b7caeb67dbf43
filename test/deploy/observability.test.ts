/**
 * The observability kit against the real programs: every metric the Grafana
 * dashboard and the alert rules use exists in a real scrape of a running edge
 * and micro gateway (or is listed below as coming later), with the labels the
 * queries group by; the PrometheusRule carries the same rules as the plain
 * file; and, where promtool is installed, Prometheus's own engine checks the
 * rules, runs their unit tests and parses every dashboard query.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { adminUrl, getToken, startTopology, tempDir, type Topology } from '../support/topology.js';
import { repoRoot } from '../support/production-install.js';
import type { Program } from '../../libs/process/index.js';

/** used by a rule or panel, not exported yet: name → what brings it */
const LATER: Record<string, string> = {
  phantom_tls_certificate_expiry_timestamp_seconds: 'registered only when server.tls is configured (the scraped programs serve plain HTTP)',
};
/** labels Prometheus adds at scrape time, that only histograms carry, or that appear only after an event (`kind`: the first garbage collection) */
const SCRAPE_LABELS = new Set(['instance', 'job', 'namespace', 'le', 'kind']);

const obs = (p: string) => join(repoRoot, 'deploy/observability', p);
const dashboard = JSON.parse(readFileSync(obs('grafana/phantom-gateway.json'), 'utf8')) as { panels: { title: string; targets?: { expr: string }[] }[]; templating: { list: { query?: { query?: string } | string }[] } };
const rules = parse(readFileSync(obs('alerts.yaml'), 'utf8')) as { groups: { name: string; rules: { alert: string; expr: string }[] }[] };
const promRule = parse(readFileSync(join(repoRoot, 'deploy/k8s/monitoring/prometheus-rule.yaml'), 'utf8')) as { kind: string; spec: unknown };

const expressions: { where: string; expr: string }[] = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `panel "${p.title}"`, expr: t.expr }))),
  ...dashboard.templating.list.flatMap((v) => (typeof v.query === 'object' && v.query?.query ? [{ where: 'a dashboard variable', expr: v.query.query }] : [])),
  ...rules.groups.flatMap((g) => g.rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr }))),
];
const metricsIn = (expr: string) => [...new Set(expr.match(/\b(?:phantom|process|nodejs)_[a-zA-Z0-9_]+/g) ?? [])];
const labelsIn = (expr: string) => [
  ...[...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean)),
  ...[...expr.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)\s*"/g)].map((m) => m[1]!),
];

/** metric names (histograms: with _bucket/_sum/_count) and label names in a Prometheus text scrape */
function readScrape(text: string): { names: Set<string>; labels: Set<string>; lines: string[] } {
  const names = new Set<string>();
  const labels = new Set<string>();
  const lines = text.split('\n');
  for (const line of lines) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      names.add(type[1]!);
      if (type[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(type[1]! + s);
      if (type[2] === 'summary') for (const s of ['_sum', '_count']) names.add(type[1]! + s);
    } else if (!line.startsWith('#')) {
      for (const m of line.matchAll(/[{,]([a-zA-Z_]\w*)="/g)) labels.add(m[1]!);
    }
  }
  return { names, labels, lines };
}

describe('observability kit: dashboard and alert rules against a real scrape', () => {
  let topology: Topology;
  const scraped = { names: new Set<string>(), labels: new Set<string>() };
  const byProgram: Record<string, string[]> = {};
  before(async () => {
    topology = await startTopology();
    const token = await getToken(topology.as, { scope: 'orders:read' });
    assert.equal((await fetch(`${topology.edge.url}/orders/1`, { headers: { authorization: `Bearer ${token}` } })).status, 200);
    assert.equal((await fetch(`${topology.edge.url}/orders/1`)).status, 401);
    for (const [name, p] of [['edge', topology.edge], ['micro', topology.micro]] as [string, Program][]) {
      const admin = adminUrl(p);
      const res = await fetch(`${admin}/metrics`);
      assert.equal(res.status, 200);
      const s = readScrape(await res.text());
      byProgram[name] = s.lines;
      for (const n of s.names) scraped.names.add(n);
      for (const l of s.labels) scraped.labels.add(l);
    }
  });
  after(async () => { await topology?.stop(); });

  test('process and runtime metrics have their standard names and a program label', () => {
    for (const name of ['edge', 'micro']) {
      const lines = byProgram[name]!;
      assert.ok(lines.some((l) => l.startsWith(`process_cpu_user_seconds_total{program="${name}"}`)), `${name}: process_cpu_user_seconds_total{program="${name}"}`);
      assert.ok(lines.some((l) => l.startsWith(`nodejs_eventloop_lag_p99_seconds{program="${name}"}`)), `${name}: nodejs_eventloop_lag_p99_seconds`);
      assert.ok(!lines.some((l) => l.includes('phantom_process_')), `${name}: no phantom_process_ prefix left`);
    }
  });

  test('every metric in the dashboard and the rules exists in the scrape (or is listed as coming later)', () => {
    assert.ok(expressions.length >= 40, `only ${expressions.length} expressions found`);
    const missing: string[] = [];
    for (const { where, expr } of expressions) {
      const used = metricsIn(expr);
      assert.ok(used.length > 0, `${where}: no metric in ${expr}`);
      for (const m of used) if (!scraped.names.has(m) && !LATER[m]) missing.push(`${where}: ${m}`);
    }
    assert.deepEqual(missing, []);
  });

  test('every label the queries match or group by is exported (or added by Prometheus)', () => {
    const unknown = expressions.flatMap(({ where, expr }) => labelsIn(expr).filter((l) => !scraped.labels.has(l) && !SCRAPE_LABELS.has(l)).map((l) => `${where}: ${l}`));
    assert.deepEqual(unknown, []);
  });

  test('the dashboard covers traffic, refusals, latency, introspection, JWKS, caches, throttling and Redis', () => {
    const all = expressions.map((e) => e.expr).join('\n');
    for (const m of ['phantom_requests_total', 'phantom_refusals_total', 'phantom_request_duration_seconds_bucket', 'phantom_upstream_duration_seconds_bucket',
      'phantom_introspection_calls_total', 'phantom_jwks_fetch_failures_total', 'phantom_introspection_cache_hits_total', 'phantom_mint_cache_hits_total',
      'phantom_verification_cache_hits_total', 'phantom_backend_queued', 'phantom_redis_connected', 'process_cpu_seconds_total']) assert.match(all, new RegExp(`\\b${m}\\b`), m);
    const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const a of ['PhantomAuthorizationServerUnavailable', 'PhantomJwksFetchFailing', 'PhantomHigh5xxRatio', 'Phantom429Surge', 'PhantomCertificateExpiringSoon']) assert.ok(alerts.includes(a), a);
  });

  test('the PrometheusRule manifest carries exactly the rules of alerts.yaml', () => {
    assert.equal(promRule.kind, 'PrometheusRule');
    assert.deepEqual(promRule.spec, rules);
  });

  const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).status === 0;
  const noPromtool = promtool ? false : 'promtool not found (Debian package prometheus): the rules and queries were not run through Prometheus';
  if (noPromtool) process.stdout.write(`# NOTE: ${noPromtool}\n`);

  test('promtool: the rules check, their unit tests pass, and every dashboard query parses', { skip: noPromtool }, () => {
    const run = (args: string[], cwd: string) => spawnSync('promtool', args, { encoding: 'utf8', cwd, timeout: 60_000 });
    const check = run(['check', 'rules', 'alerts.yaml'], obs(''));
    assert.equal(check.status, 0, check.stdout + check.stderr);
    const unit = run(['test', 'rules', 'alerts.test.yaml'], obs(''));
    assert.equal(unit.status, 0, unit.stdout + unit.stderr);
    // dashboard queries as recording rules, Grafana's variables replaced by what Grafana sends
    const dir = tempDir();
    const record = expressions.filter((e) => e.where.startsWith('panel')).map((e, i) => ({
      record: `dashboard:query_${i}`,
      expr: e.expr.replaceAll('$__rate_interval', '1m').replaceAll('$program', '.*').replaceAll('$instance', '.*'),
    }));
    writeFileSync(join(dir, 'dashboard.rules.yaml'), stringify({ groups: [{ name: 'dashboard', rules: record }] }));
    const queries = run(['check', 'rules', 'dashboard.rules.yaml'], dir);
    assert.equal(queries.status, 0, queries.stdout + queries.stderr);
  });
});
