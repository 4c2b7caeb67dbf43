import type { LoadResult } from './wrk.js';

export interface ScenarioResult extends LoadResult {
  name: string;
  description: string;
  vsDirect?: number;
  vsNodeChain?: number;
  /** for single-hop scenarios: against one node:http pipe hop */
  vsPipeHop?: number;
  /** the ratio target's own measurement: short back-to-back runs next to `reference`, alternating order */
  paired?: { reference: string; ratios: number[]; median: number };
  /** the access log this scenario ran with: 'on (file)', 'off', 'none' (no logging at all), 'n/a' */
  accessLog?: string;
  rounds: number;
}

export interface PairResult { name: string; reference: string; ratios: number[]; median: number; target?: number }

export interface Target { name: string; figure: string; met: boolean | null; note?: string }

/** A cached valid token timed during a junk-token flood (ms), and what the flood cost the edge and the AS. */
export interface FloodResult {
  floodRps: number; floodRequests: number; floodSeconds: number;
  introspections: number; perPeerLimit: number; edgeCpuUsPerRequest: number; edgeKernelUsPerRequest: number;
  quiet: { n: number; p50: number; p99: number };
  during: { n: number; p50: number; p99: number; max: number };
}

export interface BenchReport {
  date: string;
  /** the commit measured (`+uncommitted` when the tree had changes) */
  commit: string;
  /** every paired ratio (scenario against reference, alternating order) */
  pairs: PairResult[];
  coldCpuUsPerRequest: Record<string, number>;
  /** the cold floor (servers/cold-floor.ts) in the same blocks: its ratios to as-introspect, the gateway's to it, its CPU */
  coldFloor?: { ratios: number[]; median: number; gatewayOverFloor: number; cpuUsPerRequest: Record<string, number>; tokens: number; introspections: number };
  /** the canonical-target step, in-process ns per request (test/bench/canonical-bench.ts) */
  canonicalStepNs?: number;
  /** the junk-token flood (test/bench/flood-bench.ts) */
  flood?: FloodResult;
  /** introspections, signatures and micro verifications during the timed runs of gateway-warm and gateway-many */
  work: Record<string, { requests: number; introspections: number; signatures: number; verifications: number }>;
  /** bytes each gateway wrote to its log file during the run (evidence of the logging each figure ran with) */
  logBytes: Record<string, number>;
  machine: { cpus: number; model: string; memoryGiB: number; node: string; loadGenerator: string };
  settings: { seconds: number; connections: number; rounds: number; pairs: number; pairSeconds: number };
  scenarios: ScenarioResult[];
  accounting: Record<string, unknown>;
  memory: Record<string, unknown>;
  peakRssMiB: Record<string, number>;
  targets: Target[];
  notes: string[];
}

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s: string, n: number) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);
const ratio = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`);

export function table(report: BenchReport): string {
  const head = `${pad('scenario', 19)}${lpad('req/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('errors', 8)}${lpad('vs direct', 11)}${lpad('vs node-chain', 15)}${lpad('vs pipe hop', 13)}${lpad('paired', 20)}  access log`;
  const rows = report.scenarios.map((s) => `${pad(s.name, 19)}${lpad(s.rps.toFixed(0), 9)}${lpad(s.p50ms.toFixed(2), 9)}${lpad(s.p99ms.toFixed(2), 9)}${lpad(String(s.errors + s.non2xx), 8)}${lpad(ratio(s.vsDirect), 11)}${lpad(ratio(s.vsNodeChain), 15)}${lpad(ratio(s.vsPipeHop), 13)}${lpad(s.paired ? `${ratio(s.paired.median)} ${s.paired.reference}` : '', 20)}  ${s.accessLog ?? ''}`);
  const targets = report.targets.map((t) => `  [${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}] ${t.name}: ${t.figure}${t.note ? ` (${t.note})` : ''}`);
  const about = `commit ${report.commit}, Node.js ${report.machine.node}, ${report.machine.cpus} CPUs (${report.machine.model}), ${report.date}`;
  return [about, '', head, '-'.repeat(head.length), ...rows, '', 'targets:', ...targets, ...(report.notes.length ? ['', 'notes:', ...report.notes.map((n) => `  - ${n}`)] : [])].join('\n');
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Two views as one self-contained SVG: per scenario, throughput and p99 side
 * by side on the scenario's own row; then each ratio we claim (a gateway
 * scenario against its reference) with its target line.
 */
export function chart(report: BenchReport): string {
  const s = report.scenarios;
  const W = 920; const rowH = 26; const left = 150; const barW = 400; const p99X = 700; const p99W = 120;
  const top = 96;
  const maxRps = Math.max(...s.map((x) => x.rps), 1);
  const maxP99 = Math.max(...s.map((x) => x.p99ms), 1);
  const cls = (name: string) => (name.startsWith('gateway') || name.endsWith('-hop') && /^(edge|micro)/.test(name) ? 'g' : 'b');
  const rows = s.map((x, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (x.rps / maxRps) * barW);
    const pw = Math.max(1, (x.p99ms / maxP99) * p99W);
    const log = x.accessLog === undefined || x.accessLog === 'n/a' ? '' : x.accessLog === 'none' ? 'no log' : `access log ${x.accessLog.replace(' (file)', '')}`;
    return `<text x="${left - 8}" y="${y + 15}" text-anchor="end" class="l">${esc(x.name)}</text>
<rect x="${left}" y="${y + 3}" width="${w.toFixed(1)}" height="16" class="${cls(x.name)}"/>
<text x="${(left + w + 6).toFixed(1)}" y="${y + 15}" class="v">${x.rps.toFixed(0)}</text>
<text x="${p99X - 10}" y="${y + 15}" text-anchor="end" class="m">${esc(log)}</text>
<rect x="${p99X}" y="${y + 6}" width="${pw.toFixed(1)}" height="10" class="p"/>
<text x="${(p99X + pw + 6).toFixed(1)}" y="${y + 15}" class="s">${x.p99ms.toFixed(1)} ms</text>`;
  }).join('\n');

  // the ratios we claim, each against its target
  const claims = report.pairs.filter((p) => p.target !== undefined);
  const top2 = top + s.length * rowH + 56;
  // the scale ends at 2× (a smoke run's wild ratios are clamped there)
  const maxRatio = Math.min(2, Math.max(1.2, ...claims.map((c) => c.median), ...claims.flatMap((c) => c.ratios)));
  const rx0 = 260; const rxW = 440;
  const rx = (r: number) => rx0 + (Math.min(r, maxRatio) / maxRatio) * rxW;
  const ratioRows = claims.map((c, i) => {
    const y = top2 + i * rowH;
    const met = c.median >= c.target!;
    const dots = c.ratios.map((r) => `<circle cx="${rx(r).toFixed(1)}" cy="${y + 11}" r="2" class="d"/>`).join('');
    return `<text x="${rx0 - 8}" y="${y + 15}" text-anchor="end" class="l">${esc(`${c.name} / ${c.reference}`)}</text>
<rect x="${rx0}" y="${y + 3}" width="${Math.max(1, rx(c.median) - rx0).toFixed(1)}" height="16" class="${met ? 'ok' : 'no'}"/>${dots}
<line x1="${rx(c.target!).toFixed(1)}" x2="${rx(c.target!).toFixed(1)}" y1="${y}" y2="${y + 22}" class="t"/>
<text x="${(rx(Math.max(c.median, c.target!, ...c.ratios)) + 8).toFixed(1)}" y="${y + 15}" class="v">${c.median.toFixed(2)}× (target ≥ ${c.target}) ${met ? 'met' : 'NOT met'}</text>`;
  }).join('\n');
  const one = rx(1);
  const H = top2 + claims.length * rowH + 30;
  const sub1 = `commit ${report.commit} · Node.js ${report.machine.node} · ${report.machine.cpus} CPUs (${report.machine.model}) · ${report.date.slice(0, 16).replace('T', ' ')} UTC`;
  const sub2 = `${report.settings.connections} connections, ${report.settings.rounds} rounds × ${report.settings.seconds} s, ${report.settings.pairs} pairs × ${report.settings.pairSeconds} s · gateways with shipped defaults (access log on, to a file) unless marked "access log off"`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<style>.l{fill:#222}.v{fill:#222}.s{fill:#a33}.m{fill:#777;font-size:11px}.b{fill:#8aa4c8}.g{fill:#2f6db5}.p{fill:#d66}.h{font-size:13px;font-weight:bold;fill:#222}.sub{fill:#555;font-size:11px}.ttl{font-size:15px;font-weight:bold}.ok{fill:#4a9a5a}.no{fill:#c65}.d{fill:#222;opacity:.55}.t{stroke:#000;stroke-width:2;stroke-dasharray:4 2}.one{stroke:#bbb;stroke-width:1}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="22" class="ttl">Phantom Gateway benchmark</text>
<text x="12" y="40" class="sub">${esc(sub1)}</text>
<text x="12" y="55" class="sub">${esc(sub2)}</text>
<text x="${left}" y="${top - 10}" class="h">Throughput (req/s)</text>
<text x="${p99X}" y="${top - 10}" class="h">p99 latency</text>
${rows}
<text x="12" y="${top2 - 24}" class="h">Claimed ratios: median of the paired runs (bar), each pair (dots), target (dashed line)</text>
<line x1="${one.toFixed(1)}" x2="${one.toFixed(1)}" y1="${top2 - 4}" y2="${top2 + claims.length * rowH}" class="one"/>
<text x="${one.toFixed(1)}" y="${top2 - 6}" text-anchor="middle" class="m">1.0×</text>
${ratioRows}
</svg>
`;
}
