/**
 * The soak's samples and verdict: RSS per process (from /proc/<pid>/status),
 * event-loop delay per gateway (its own `nodejs_eventloop_lag_*` metrics),
 * status counts by kind, crashes, and the targets met or not met.
 */
import { readFileSync } from 'node:fs';
import type { Program } from '../../../libs/process/index.js';
import { adminUrl } from '../../support/topology.js';
import type { Kind, ServerError } from './soak-traffic.js';

export interface Sample { at: number; rssMb: Record<string, number>; heapMb: Record<string, number>; lagP99Ms: Record<string, number>; lagMaxMs: Record<string, number> }
export interface Window { role: string; from: number; to: number }

/** resident set size of a live process, in MB (undefined when it is gone) */
export function rssMb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : undefined;
  } catch { return undefined; }
}

export async function takeSample(at: number, programs: Map<string, Program>, gateways: readonly string[]): Promise<Sample> {
  const sample: Sample = { at, rssMb: {}, heapMb: {}, lagP99Ms: {}, lagMaxMs: {} };
  for (const [role, p] of programs) { const mb = rssMb(p.child.pid); if (mb !== undefined) sample.rssMb[role] = mb; }
  for (const role of gateways) {
    // one scrape per sample: prom-client resets its event-loop histogram at each, so each sample covers the interval since the last
    const text = await (await fetch(`${adminUrl(programs.get(role)!)}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    sample.lagP99Ms[role] = Math.round(value('nodejs_eventloop_lag_p99_seconds') * 10_000) / 10;
    sample.lagMaxMs[role] = Math.round(value('nodejs_eventloop_lag_max_seconds') * 10_000) / 10;
    // the JS heap in use (V8), beside RSS: RSS also holds what V8 and the allocator keep after a GC
    sample.heapMb[role] = Math.round(value('nodejs_heap_size_used_bytes') / 104_857.6) / 10;
  }
  return sample;
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)]! : NaN; };

export interface Verdict { lines: string[]; met: boolean; summary: Record<string, unknown> }

/**
 * Targets: no crash; no 5xx but the documented 503s of a dependency that is
 * down or too slow (those within a restart, plus `graceMs` after it, are
 * told apart from those outside); RSS flat after warm-up: the
 * median of the last tenth of the run at most max(20 MB, 15 %) above the
 * median of the tenth right after warm-up (the caches are bounded; their fill
 * happens during warm-up and the first minutes).
 */
export function verdict(input: {
  samples: Sample[]; warmupMs: number; durationMs: number; counts: Map<Kind, Map<string, number>>; serverErrors: ServerError[];
  windows: Window[]; graceMs: number; crashes: string[]; reloads: Record<string, number>; restarts: Record<string, number>;
}): Verdict {
  const lines: string[] = [];
  const { samples, warmupMs, durationMs } = input;
  const tenth = durationMs / 10;
  const after = samples.filter((s) => s.at >= warmupMs && s.at < warmupMs + tenth);
  const last = samples.filter((s) => s.at >= durationMs - tenth);
  const roles = [...new Set(samples.flatMap((s) => Object.keys(s.rssMb)))];
  const rss: Record<string, { warm: number; end: number; max: number; growth: number; ok: boolean }> = {};
  lines.push('RSS (MB): process | after warm-up | end | max | growth');
  for (const role of roles) {
    const warm = median(after.map((s) => s.rssMb[role]).filter((x): x is number => x !== undefined));
    const end = median(last.map((s) => s.rssMb[role]).filter((x): x is number => x !== undefined));
    const max = Math.max(...samples.map((s) => s.rssMb[role] ?? 0));
    const growth = Math.round((end - warm) * 10) / 10;
    const ok = !(growth > Math.max(20, warm * 0.15));
    rss[role] = { warm, end, max, growth, ok };
    lines.push(`  ${role} | ${warm} | ${end} | ${max} | ${growth >= 0 ? '+' : ''}${growth}${ok ? '' : '  (too much)'}`);
  }
  lines.push('JS heap used (MB): gateway | after warm-up | end | max');
  for (const role of Object.keys(samples[0]?.heapMb ?? {})) {
    const at = (xs: Sample[]) => median(xs.map((s) => s.heapMb[role]!).filter((x) => Number.isFinite(x)));
    lines.push(`  ${role} | ${at(after)} | ${at(last)} | ${Math.max(...samples.map((s) => s.heapMb[role] ?? 0))}`);
  }
  const lag: Record<string, { p99MedianMs: number; p99MaxMs: number; maxMs: number }> = {};
  lines.push('event-loop delay (ms): gateway | p99, median of samples | p99, worst sample | max');
  for (const role of Object.keys(samples[0]?.lagP99Ms ?? {})) {
    const p99 = samples.map((s) => s.lagP99Ms[role]!).filter((x) => Number.isFinite(x));
    lag[role] = { p99MedianMs: median(p99), p99MaxMs: Math.max(...p99), maxMs: Math.max(...samples.map((s) => s.lagMaxMs[role] ?? 0)) };
    lines.push(`  ${role} | ${lag[role].p99MedianMs} | ${lag[role].p99MaxMs} | ${lag[role].maxMs}`);
  }
  const statusCounts = Object.fromEntries([...input.counts].map(([k, m]) => [k, Object.fromEntries([...m].sort())]));
  lines.push('statuses by kind:');
  for (const [kind, byStatus] of Object.entries(statusCounts)) lines.push(`  ${kind}: ${Object.entries(byStatus).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  const down = (at: number) => input.windows.some((w) => at >= w.from && at <= w.to + input.graceMs);
  const documented = new Set(['authorization_server_unavailable', 'jwks_unavailable', 'overloaded']);
  const documented503 = (e: ServerError) => e.status === 503 && documented.has(e.code);
  const unexpected = input.serverErrors.filter((e) => !documented503(e));
  // a documented 503 with every dependency up: the AS (or JWKS) answered too slowly — an outage too, seen from the gateway; shown apart
  const slowDependency = input.serverErrors.filter((e) => documented503(e) && !down(e.at));
  const requests = [...input.counts.values()].reduce((n, m) => n + [...m.values()].reduce((a, b) => a + b, 0), 0);
  lines.push(`requests: ${requests}; 5xx: ${input.serverErrors.length}: documented 503s during a restart ${input.serverErrors.length - unexpected.length - slowDependency.length}, `
    + `documented 503s outside a restart (a dependency too slow: introspection/JWKS timeout) ${slowDependency.length}, other ${unexpected.length}`);
  for (const e of unexpected.slice(0, 10)) lines.push(`  unexpected: ${e.status} ${e.code} (${e.kind}) at ${Math.round(e.at / 1000)} s`);
  lines.push(`reloads: ${JSON.stringify(input.reloads)}; restarts: ${JSON.stringify(input.restarts)}`);
  const targets: [string, boolean][] = [
    [`no crash${input.crashes.length ? ` (${input.crashes.join('; ')})` : ''}`, input.crashes.length === 0],
    ['no 5xx but the documented 503s of an unavailable dependency', unexpected.length === 0],
    ['RSS flat after warm-up (growth ≤ max(20 MB, 15 %))', Object.values(rss).every((r) => r.ok)],
  ];
  lines.push('targets:');
  for (const [name, ok] of targets) lines.push(`  ${ok ? 'met    ' : 'NOT MET'}  ${name}`);
  return {
    lines, met: targets.every(([, ok]) => ok),
    summary: { requests, statusCounts, serverErrors: input.serverErrors.length, unexpected5xx: unexpected.length, slowDependency503: slowDependency.length, rss, lag, crashes: input.crashes, reloads: input.reloads, restarts: input.restarts },
  };
}
