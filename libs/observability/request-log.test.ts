import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { createLogger } from './create-logger.js';
import { createRequestLog, hundredths, type RequestRecord } from './request-log.js';

function capture(): { lines: string[]; destination: Writable } {
  const lines: string[] = [];
  return { lines, destination: new Writable({ write(chunk: Buffer, _e, done) { lines.push(chunk.toString('utf8')); done(); } }) };
}

const base: RequestRecord = {
  requestId: 'req-1', traceId: '0af7651916cd43dd8448eb211c80319c', traceparent: '', method: 'GET', path: '/orders/1', query: '?secret=x',
  route: 'orders', status: undefined, code: undefined, reason: undefined, clientId: 'demo-app', sub: 'alice', cache: 'hit', start: 1000, upstreamMs: 1.23456,
};
const records: [RequestRecord, number][] = [
  [base, 200],
  [{ ...base, route: undefined, clientId: undefined, sub: undefined, cache: undefined, upstreamMs: undefined, code: 'no_route', reason: 'none' }, 404],
  [{ ...base, sub: 'a "quoted" \\ sub\n\twith controls \u0001 and ünïcödé ✓ \u2028', clientId: '</script>', path: '/orders/%22x%22?q=1', policy: 'allow: rule "a"' }, 200],
  [{ ...base, code: 'upstream_unavailable', reason: 'econnrefused' }, 502],
  [{ ...base, code: 'invalid_token', reason: 'expired' }, 401],
];

test('an access line is byte for byte the line pino prints for the same fields (time, bindings, order, escaping, levels, undefined left out)', (t) => {
  t.mock.method(Date, 'now', () => Date.UTC(2026, 10, 25, 22, 48, 32, 7));
  t.mock.method(performance, 'now', () => 1012.3456);
  const fast = capture();
  // a mixin that adds nothing: the same lines, but pino has to build them itself
  const slow = capture();
  const fastLog = createRequestLog(createLogger({ name: 'micro-orders', level: 'info', destination: fast.destination }), { accessLog: true });
  let mixed = 0;
  const slowLogger = pino({
    name: 'micro-orders', level: 'info', base: { name: 'micro-orders' }, timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) }, mixin: () => { mixed++; return {}; },
  }, slow.destination);
  const slowLog = createRequestLog(slowLogger, { accessLog: true });
  for (const [record, status] of records) { fastLog(record, status); slowLog(record, status); }
  assert.equal(fast.lines.length, records.length);
  assert.equal(mixed, records.length, 'the reference lines came through pino');
  assert.deepEqual(fast.lines, slow.lines);
  const first = JSON.parse(fast.lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(first), ['level', 'time', 'name', 'request_id', 'trace_id', 'method', 'path', 'route', 'status', 'duration_ms', 'upstream_ms', 'client_id', 'sub', 'cache', 'msg']);
  assert.equal(first.time, '2026-11-25T22:48:32.007Z');
  assert.equal(first.path, '/orders/1');
  assert.equal(first.duration_ms, 12.35);
  assert.equal((JSON.parse(fast.lines[2]!) as { sub: string }).sub, records[2]![0].sub);
  assert.deepEqual(fast.lines.map((l) => (JSON.parse(l) as { level: string; msg: string })).map((l) => `${l.level} ${l.msg}`),
    ['info request', 'info request refused', 'info request', 'warn request failed', 'info request refused']);
});

test('every string field is JSON-escaped: quotes, backslashes, controls, lone surrogates', () => {
  const out = capture();
  const log = createRequestLog(createLogger({ name: 'm', level: 'info', destination: out.destination }), { accessLog: true });
  const nasty = ['"', '\\', '\n', '\u0000', '\u001f', '\ud800', 'a\udfffb', '😀', '"},"status":1,"x":"'];
  for (const sub of nasty) log({ ...base, sub, clientId: sub, route: sub, path: `/${sub}`, policy: sub, reason: sub }, 200);
  const lines = out.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(lines.map((l) => [l.sub, l.client_id, l.route, l.policy, l.reason, l.status]), nasty.map((s) => [s, s, s, s, s, 200]));
  assert.ok(out.lines.every((l) => l.split('\n').length === 2 && l.endsWith('}\n')), 'one line each');
});

test('the logger level and accessLog: false hold back the lines they should', () => {
  const warnOnly = capture();
  const quiet = capture();
  const atWarn = createRequestLog(createLogger({ name: 'm', level: 'warn', destination: warnOnly.destination }), { accessLog: true });
  const noAccess = createRequestLog(createLogger({ name: 'm', level: 'info', destination: quiet.destination }), { accessLog: false });
  for (const [record, status] of records) { atWarn(record, status); noAccess(record, status); }
  assert.deepEqual(warnOnly.lines.map((l) => (JSON.parse(l) as { status: number }).status), [502]);
  assert.deepEqual(quiet.lines.map((l) => (JSON.parse(l) as { status: number }).status), [404, 502, 401]);
});

test('durations print as JSON prints the number rounded to hundredths (whole, one and two decimals, large, negative, not finite)', () => {
  const cases = [0, 0.001, 0.004, 0.005, 0.049, 0.05, 0.1, 0.104, 0.995, 1, 9.999, 12.3456, 100.1, 2 ** 31 / 100 - 0.01, 2 ** 31 / 100, 1e9 + 0.123, -0, -0.004, -1.5, Number.NaN, Number.POSITIVE_INFINITY];
  let seed = 7;
  for (let i = 0; i < 100_000; i++) { seed = (seed * 48271) % 2147483647; cases.push((seed / 2147483647) * 10 ** (i % 7)); }
  for (const ms of cases) assert.equal(hundredths(ms), JSON.stringify(Math.round(ms * 100) / 100), String(ms));
});
