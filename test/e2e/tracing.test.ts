/**
 * OpenTelemetry trace export, end to end: client → edge → micro → backend as
 * real processes, both gateways exporting OTLP/HTTP JSON to a receiver in
 * this test process. The receiver is a plain node:http server that decodes
 * what it is sent: it stands in for the OpenTelemetry Collector's OTLP/HTTP
 * receiver (the same protocol: POST /v1/traces, an ExportTraceServiceRequest
 * in the JSON encoding), because no collector package is installable here
 * (`apt-cache policy otelcol otelcol-contrib` finds none).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getToken, metric, startTopology, untilCount, type Topology } from '../support/topology.js';
import { bearer, send } from '../support/http.js';
import type { OtlpSpan } from '../../libs/observability/index.js';

interface Export { raw: string; service: string; key: string | undefined; spans: OtlpSpan[] }

function startCollector(): Promise<{ server: Server; url: string; exports: Export[] }> {
  const exports: Export[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      assert.equal(req.url, '/v1/traces');
      assert.equal(req.headers['content-type'], 'application/json');
      const body = JSON.parse(raw) as { resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
      for (const rs of body.resourceSpans) {
        const service = rs.resource.attributes.find((a) => a.key === 'service.name')?.value.stringValue ?? '';
        exports.push({ raw, service, key: req.headers['x-collector-key'] as string | undefined, spans: rs.scopeSpans.flatMap((s) => s.spans) });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`, exports })));
}

const attr = (span: OtlpSpan, key: string) => {
  const v = span.attributes.find((a) => a.key === key)?.value as { stringValue?: string; intValue?: string } | undefined;
  return v?.stringValue ?? v?.intValue;
};

describe('OTLP trace export (edge and micro)', () => {
  let t: Topology;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  const spans = (traceId: string) => collector.exports.flatMap((e) => e.spans.map((s) => ({ ...s, service: e.service }))).filter((s) => s.traceId === traceId);

  before(async () => {
    collector = await startCollector();
    const tracing = { otlp: { endpoint: collector.url, flushIntervalMs: 50, timeoutMs: 1000, headers: { 'x-collector-key': 'k1' } } };
    t = await startTopology({ edge: { tracing }, micro: { tracing } });
  });
  after(async () => {
    await t?.stop();
    collector?.server.closeAllConnections();
    collector?.server.close();
  });

  test('one request → a span from each program, one trace: the edge span is the client\'s child, the micro span the edge\'s; no token, JWT or query in the export', async () => {
    const token = await getToken(t.as, { scope: 'orders:read' });
    const traceId = '5bf92f3577b34da6a3ce929d0e0e4736';
    const clientSpan = '00f067aa0ba902b7';
    const res = await send(`${t.edge.url}/orders/42?secret=q-s3cr3t`, { headers: { ...bearer(token), traceparent: `00-${traceId}-${clientSpan}-01` } });
    assert.equal(res.status, 200, res.text);
    const seen = res.json<{ headers: Record<string, string> }>().headers;
    const jwt = seen.authorization!.slice('Bearer '.length);
    await untilCount(() => spans(traceId).length, 2, 10_000);

    const all = spans(traceId);
    assert.equal(all.length, 2);
    const edge = all.find((s) => s.service === 'phantom-edge');
    const micro = all.find((s) => s.service === 'phantom-micro-orders');
    assert.ok(edge && micro, `services: ${all.map((s) => s.service).join(', ')}`);
    assert.equal(edge.parentSpanId, clientSpan);
    assert.equal(micro.parentSpanId, edge.spanId, 'the micro span is the edge span\'s child');
    // the backend saw the micro's own span id in its traceparent, sampled
    assert.equal(seen.traceparent, `00-${traceId}-${micro.spanId}-01`);
    for (const [span, route] of [[edge, 'orders'], [micro, 'orders-read']] as const) {
      assert.equal(span.kind, 2);
      assert.equal(span.name, `GET ${route}`);
      assert.equal(attr(span, 'http.request.method'), 'GET');
      assert.equal(attr(span, 'url.path'), '/orders/42');
      assert.equal(attr(span, 'url.scheme'), 'http');
      assert.equal(attr(span, 'http.response.status_code'), '200');
      assert.equal(attr(span, 'phantom.route'), route);
      assert.equal(attr(span, 'phantom.client_id'), 'demo-app');
      assert.match(attr(span, 'phantom.request_id') ?? '', /.+/);
      assert.deepEqual(span.status, { code: 0 });
      assert.ok(BigInt(span.endTimeUnixNano) >= BigInt(span.startTimeUnixNano));
      assert.ok(Math.abs(Number(BigInt(span.startTimeUnixNano) / 1_000_000n) - Date.now()) < 60_000, 'start time is Unix nanoseconds');
    }
    assert.ok(collector.exports.every((e) => e.key === 'k1'), 'the configured headers reach the collector');
    assert.equal(attr(edge, 'server.address'), new URL(t.edge.url).host);
    const body = collector.exports.map((e) => e.raw).join('\n');
    assert.ok(!body.includes(token), 'the opaque token is not exported');
    assert.ok(!body.includes(jwt) && !body.includes(jwt.split('.')[1]!), 'the minted JWT is not exported');
    assert.ok(!body.includes('q-s3cr3t'), 'the query string is not exported');
  });

  test('a refusal is a span too: status, refusal code and reason, no micro span', async () => {
    const traceId = '6bf92f3577b34da6a3ce929d0e0e4736';
    const res = await send(`${t.edge.url}/orders/1`, { headers: { ...bearer('junk-token-never-issued'), traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    assert.equal(res.status, 401);
    await untilCount(() => spans(traceId).length, 1, 10_000);
    const [span] = spans(traceId);
    assert.equal(span!.service, 'phantom-edge');
    assert.equal(attr(span!, 'http.response.status_code'), '401');
    assert.equal(attr(span!, 'phantom.code'), 'invalid_token');
    assert.equal(attr(span!, 'phantom.reason'), 'inactive');
    assert.ok(!collector.exports.some((e) => e.raw.includes('junk-token-never-issued')));
    // the micro never saw it: still one span for this trace once the micro's next export has gone out
    const exportedBefore = await metric(t.micro, 'phantom_trace_spans_exported_total');
    assert.equal((await send(`${t.edge.url}/orders/2`, { headers: bearer(await getToken(t.as, { scope: 'orders:read' })) })).status, 200);
    const deadline = Date.now() + 10_000;
    while (await metric(t.micro, 'phantom_trace_spans_exported_total') <= exportedBefore) {
      assert.ok(Date.now() < deadline, 'the micro exported nothing more');
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(spans(traceId).length, 1);
  });

  test('collector down: requests are unaffected, spans dropped and counted', async () => {
    collector.server.closeAllConnections();
    await new Promise((r) => collector.server.close(r));
    const token = await getToken(t.as, { scope: 'orders:read' });
    const [edgeDropped, microDropped, edgeExported] = [await metric(t.edge, 'phantom_trace_spans_dropped_total'), await metric(t.micro, 'phantom_trace_spans_dropped_total'), await metric(t.edge, 'phantom_trace_spans_exported_total')];
    const statuses = [];
    for (let i = 0; i < 20; i++) statuses.push((await send(`${t.edge.url}/orders/${i}`, { headers: bearer(token) })).status);
    assert.deepEqual(statuses, Array(20).fill(200));
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [e, m] = [await metric(t.edge, 'phantom_trace_spans_dropped_total'), await metric(t.micro, 'phantom_trace_spans_dropped_total')];
      if (e - edgeDropped >= 20 && m - microDropped >= 20) break;
      assert.ok(Date.now() < deadline, `dropped: edge +${e - edgeDropped}, micro +${m - microDropped}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(await metric(t.edge, 'phantom_trace_spans_exported_total'), edgeExported);
    assert.ok(await metric(t.edge, 'phantom_trace_export_failures_total') >= 1);
    assert.match(t.edge.lines.find((l) => l.includes('trace export failed')) ?? '', /ECONNREFUSED|fetch failed/);
  });
});
