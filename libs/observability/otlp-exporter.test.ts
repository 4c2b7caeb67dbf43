import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createOtlpExporter, type OtlpSpan } from './otlp-exporter.js';
import { createTracer } from './create-tracer.js';
import { continueTrace } from './trace-context.js';

const span = (i: number): string => JSON.stringify({
  traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: i.toString(16).padStart(16, '0'), name: 'GET r', kind: 2,
  startTimeUnixNano: '1', endTimeUnixNano: '2', attributes: [], status: { code: 0 },
} satisfies OtlpSpan);

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a collector that does not answer: one batch in flight, the queue bounded, the rest dropped and counted; the hung batch dropped at its timeout', async () => {
  const held: ServerResponse[] = [];
  const bodies: string[] = [];
  // a real HTTP server that reads each export and never answers it
  const server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => { bodies.push(body); held.push(res); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`;
  const exporter = createOtlpExporter({
    endpoint, headers: {}, timeoutMs: 300, flushIntervalMs: 60_000, maxBatchSpans: 2, maxQueueSpans: 5, resource: [], logger: pino({ level: 'silent' }),
  });
  for (let i = 0; i < 2; i++) exporter.add(span(i)); // a full batch: sent at once
  await until(() => bodies.length === 1, 'the first batch reached the collector');
  for (let i = 2; i < 22; i++) exporter.add(span(i));
  assert.equal(exporter.stats.dropped, 15, '5 queued behind the batch in flight, 15 dropped');
  // the hung batch times out (dropped), then the queue drains into the same silent collector, batch by batch
  await until(() => exporter.stats.failedExports >= 1, 'the first export timed out');
  assert.equal(exporter.stats.exported, 0);
  assert.equal((JSON.parse(bodies[0]!) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans[0]!.scopeSpans[0]!.spans.length, 2);
  server.closeAllConnections();
  server.close();
  await exporter.close();
  assert.equal(exporter.stats.dropped, 22, 'every span accounted for: none exported, all dropped');
});

test('sampling: a sampled parent is followed (parentBased), the ratio decides on the trace id alone, the flag sent upstream says which', () => {
  const added: string[] = [];
  const exporter = { add: (s: string) => { added.push(s); } };
  const none = createTracer({ exporter, sampleRatio: 0, parentBased: true });
  const sampledParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
  const unsampledParent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
  const t1 = continueTrace(sampledParent);
  assert.deepEqual(none.start(t1, sampledParent, false), { parentSpanId: '00f067aa0ba902b7', scheme: 'http' });
  assert.match(t1.traceparent, /-01$/);
  const t2 = continueTrace(unsampledParent);
  assert.equal(none.start(t2, unsampledParent, false), undefined);
  assert.match(t2.traceparent, /-00$/);
  const t3 = continueTrace(sampledParent);
  assert.equal(createTracer({ exporter, sampleRatio: 0, parentBased: false }).start(t3, sampledParent, false), undefined);
  assert.match(t3.traceparent, /-00$/, 'not sampled here: the next hop is told so');
  // a ratio of one half: about half of 2000 new traces, and the same decision for the same trace id every time
  const half = createTracer({ exporter, sampleRatio: 0.5, parentBased: true });
  const decisions = Array.from({ length: 2000 }, () => {
    const t = continueTrace(undefined);
    const first = half.start({ ...t }, undefined, true) !== undefined;
    assert.equal(half.start({ ...t }, undefined, true) !== undefined, first);
    return first;
  });
  const n = decisions.filter(Boolean).length;
  assert.ok(n > 850 && n < 1150, `${n} of 2000 sampled at 0.5`);
  assert.equal(added.length, 0, 'start() alone exports nothing');
});

test('a span is valid OTLP/JSON whatever a client put in its method, path or Host; the query never appears', () => {
  const added: string[] = [];
  const tracer = createTracer({ exporter: { add: (s) => { added.push(s); } }, sampleRatio: 1, parentBased: true });
  const trace = continueTrace(undefined);
  const span = tracer.start(trace, undefined, false)!;
  const hostile = 'a"b\\c\u0000d\u2028e</script>';
  tracer.end(span, {
    requestId: hostile, traceId: trace.traceId, traceparent: trace.traceparent, method: 'GET', path: `/x${hostile}?token=q-secret`, query: '',
    host: hostile, route: 'r"1', code: 'invalid_request', reason: hostile, start: performance.now() - 5,
  }, 503);
  const decoded = JSON.parse(added[0]!) as OtlpSpan;
  const attrs = Object.fromEntries(decoded.attributes.map((a) => [a.key, Object.values(a.value)[0]]));
  assert.equal(attrs['url.path'], `/x${hostile}`);
  assert.equal(attrs['server.address'], hostile);
  assert.equal(attrs['phantom.reason'], hostile);
  assert.equal(attrs['http.response.status_code'], '503');
  assert.equal(attrs['error.type'], 'invalid_request');
  assert.equal(decoded.name, 'GET r"1');
  assert.deepEqual(decoded.status, { code: 2, message: 'invalid_request' });
  assert.equal(decoded.spanId, trace.traceparent.slice(36, 52));
  assert.equal(decoded.parentSpanId, undefined);
  assert.ok(!added[0]!.includes('q-secret'));
  assert.ok(BigInt(decoded.endTimeUnixNano) - BigInt(decoded.startTimeUnixNano) >= 4_000_000n, 'about 5 ms apart, in nanoseconds');
});
