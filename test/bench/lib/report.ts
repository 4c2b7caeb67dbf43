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
  rounds: number;
}

export interface Target { name: string; figure: string; met: boolean | null; note?: string }

export interface BenchReport {
  date: string;
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
  const head = `${pad('scenario', 14)}${lpad('req/s', 9)}${lpad('p50 ms', 9)}${lpad('p99 ms', 9)}${lpad('errors', 8)}${lpad('vs direct', 11)}${lpad('vs node-chain', 15)}${lpad('vs pipe hop', 13)}${lpad('paired', 20)}`;
  const rows = report.scenarios.map((s) => `${pad(s.name, 14)}${lpad(s.rps.toFixed(0), 9)}${lpad(s.p50ms.toFixed(2), 9)}${lpad(s.p99ms.toFixed(2), 9)}${lpad(String(s.errors + s.non2xx), 8)}${lpad(ratio(s.vsDirect), 11)}${lpad(ratio(s.vsNodeChain), 15)}${lpad(ratio(s.vsPipeHop), 13)}${lpad(s.paired ? `${ratio(s.paired.median)} ${s.paired.reference}` : '', 20)}`);
  const targets = report.targets.map((t) => `  [${t.met === null ? 'n/a' : t.met ? 'met' : 'NOT met'}] ${t.name}: ${t.figure}${t.note ? ` (${t.note})` : ''}`);
  return [head, '-'.repeat(head.length), ...rows, '', 'targets:', ...targets, ...(report.notes.length ? ['', 'notes:', ...report.notes.map((n) => `  - ${n}`)] : [])].join('\n');
}

/** Throughput bars and p99 markers per scenario, as a self-contained SVG. */
export function chart(report: BenchReport): string {
  const s = report.scenarios;
  const W = 760; const rowH = 34; const left = 130; const right = 150; const top = 50;
  const H = top + s.length * rowH + 40;
  const maxRps = Math.max(...s.map((x) => x.rps), 1);
  const maxP99 = Math.max(...s.map((x) => x.p99ms), 1);
  const barW = W - left - right;
  const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const rows = s.map((x, i) => {
    const y = top + i * rowH;
    const w = Math.max(1, (x.rps / maxRps) * barW);
    const px = left + (x.p99ms / maxP99) * barW;
    return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" class="l">${esc(x.name)}</text>
<rect x="${left}" y="${y + 4}" width="${w.toFixed(1)}" height="18" class="${x.name.startsWith('gateway') ? 'g' : 'b'}"/>
<text x="${left + w + 6}" y="${y + 17}" class="v">${x.rps.toFixed(0)} req/s</text>
<circle cx="${px.toFixed(1)}" cy="${y + 27}" r="3.5" class="p"/><text x="${W - right + 10}" y="${y + 30}" class="s">p99 ${x.p99ms.toFixed(1)} ms</text>`;
  }).join('\n');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">
<style>.l{fill:#222}.v{fill:#222}.s{fill:#a33}.b{fill:#8aa4c8}.g{fill:#2f6db5}.p{fill:#c33}.t{font-size:14px;font-weight:bold}</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${left}" y="22" class="t">Phantom Gateway benchmark — throughput (bars) and p99 latency (red dots)</text>
<text x="${left}" y="38" class="s" fill="#555">${esc(`${report.date}, ${report.machine.cpus} cores, ${report.machine.node}, ${report.settings.connections} connections, ${report.machine.loadGenerator}`)}</text>
${rows}
</svg>
`;
}
