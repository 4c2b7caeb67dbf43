/**
 * What OTLP tracing costs a request, paired in alternating rounds: two
 * node:http servers in this process run the gateways' request lifecycle
 * (record, access log off, metrics) and answer 200 — one without a tracer,
 * one exporting every request's span (sampleRatio 1) to an OTLP/HTTP
 * receiver in a child process. wrk drives each in turn. Then, in-process
 * and steadier on a loaded machine, the CPU time one span costs this process:
 * built only (the exporter's add a no-op) and built + queued + sent.
 * Prints one JSON line.
 *   node tracing-cost.js [rounds=3] [seconds=5]
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { continueTrace, createMetrics, createOtlpExporter, createTracer, type RequestRecord } from '../../libs/observability/index.js';
import { createRequestLifecycle } from '../../libs/server/index.js';
import { runWrk } from './lib/wrk.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 5);
const logger = pino({ level: 'silent' });

// the receiver: reads each export, counts its spans, answers {}
const receiver = spawn(process.execPath, ['-e', `
let spans = 0;
require('node:http').createServer((req, res) => { let n = 0; req.on('data', (c) => { n += c.length; }); req.on('end', () => { spans++; res.end('{}'); }); })
  .listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<string>((resolve) => createInterface({ input: receiver.stdout! }).once('line', resolve));
const exporter = createOtlpExporter({
  endpoint: `http://127.0.0.1:${port}/v1/traces`, headers: {}, timeoutMs: 10_000, flushIntervalMs: 5000, maxBatchSpans: 512, maxQueueSpans: 2048,
  resource: [{ key: 'service.name', value: { stringValue: 'bench' } }], logger,
});

function serve(tracing: boolean): Promise<{ server: Server; url: string }> {
  const lifecycle = createRequestLifecycle({
    logger, realm: 'bench', accessLog: false, metrics: createMetrics('edge'),
    tracer: tracing ? createTracer({ exporter, sampleRatio: 1, parentBased: true }) : undefined,
  });
  const server = createServer((req, res) => {
    const record = lifecycle.begin(req, res);
    record.route = 'orders';
    res.setHeader('traceparent', record.traceparent);
    res.end('ok');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders/1` })));
}

const off = await serve(false);
const on = await serve(true);
const results = { offRps: [] as number[], onRps: [] as number[], ratio: [] as number[], buildCpuUs: [] as number[], exportCpuUs: [] as number[], droppedSoFar: [] as number[] };

/** CPU µs of this process per span, n spans at up to ~20 000/s (a busy gateway's pace; the exporter keeps up, nothing is dropped) */
async function spanCpu(add: (span: string) => void, n: number): Promise<number> {
  const tracer = createTracer({ exporter: { add }, sampleRatio: 1, parentBased: true });
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const trace = continueTrace(undefined);
    const span = tracer.start(trace, undefined, false)!;
    const record: RequestRecord = {
      requestId: `req-${i}`, traceId: trace.traceId, traceparent: trace.traceparent, method: 'GET', path: '/orders/1', query: '', host: '127.0.0.1:8080',
      route: 'orders', code: undefined, reason: undefined, clientId: 'demo-app', sub: 'alice', cache: 'hit', start: performance.now(), upstreamMs: 1.2,
    };
    tracer.end(span, record, 200);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await exporter.close();
  const cpu = process.cpuUsage(before);
  return Math.round(((cpu.user + cpu.system) / n) * 100) / 100;
}
await runWrk(off.url, { connections: 50, seconds: 2 }); // warm-up
await runWrk(on.url, { connections: 50, seconds: 2 });
for (let r = 0; r < rounds; r++) {
  const a = await runWrk(off.url, { connections: 50, seconds });
  const b = await runWrk(on.url, { connections: 50, seconds });
  results.offRps.push(Math.round(a.rps));
  results.onRps.push(Math.round(b.rps));
  results.ratio.push(Math.round((b.rps / a.rps) * 100) / 100);
}
for (let r = 0; r < rounds; r++) {
  results.buildCpuUs.push(await spanCpu(() => {}, 100_000));
  results.exportCpuUs.push(await spanCpu((span) => exporter.add(span), 100_000));
  results.droppedSoFar.push(exporter.stats.dropped);
}
await exporter.close();
console.log(JSON.stringify({ ...results, exported: exporter.stats.exported, dropped: exporter.stats.dropped }));
off.server.close(); on.server.close();
receiver.kill();
