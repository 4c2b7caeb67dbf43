/**
 * `npm run bench:log-line`: what one access line costs the process (CPU µs,
 * all threads, from process.cpuUsage), written through the real request log
 * to a real file, for the shipped logger and the variants it replaced:
 *   shipped      asynchronous bounded sink, the access line without redaction paths
 *   sync+redact  the previous default: a synchronous write per line, wildcard redaction
 *   async+redact the asynchronous sink with the wildcard redaction still applied
 *   sync         a synchronous write per line, no redaction
 * Alternating rounds, the median per variant and the median of per-round ratios.
 * The lines come in bursts of 50 per turn of the event loop, as a busy server
 * writes them: a batch the sink hands to the thread pool completes between
 * turns. All 50 000 lines in one synchronous loop (how this bench ran before)
 * never let a batch finish, so every line piled up into one 15 MB join and
 * each variant measured ~7.4 µs per line, the pile-up rather than the line.
 *   npm run bench:log-line -- [--lines 50000] [--rounds 9]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { pino, type Logger } from 'pino';
import { closeLogger, createLogger, createRequestLog, REDACT_PATHS, type RequestRecord } from '../../libs/observability/index.js';

const { values } = parseArgs({ options: { lines: { type: 'string', default: '50000' }, rounds: { type: 'string', default: '9' } } });
const lines = Number(values.lines); const rounds = Number(values.rounds);
/** lines written per turn of the event loop */
const BURST = 50;
const dir = mkdtempSync(join(tmpdir(), 'log-line-'));
const common = { base: { name: 'edge' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label: string) => ({ level: label }) } };
const previous = (sync: boolean, file: string): Logger =>
  pino({ name: 'edge', level: 'info', ...common, redact: { paths: REDACT_PATHS, censor: '[Redacted]' } }, pino.destination({ dest: file, sync, ...(sync ? {} : { minLength: 4096 }) }));

type Log = (r: RequestRecord, status: number) => void;
const variants: Record<string, { logger: Logger; log: Log }> = {};
{
  const shipped = createLogger({ name: 'edge', level: 'info', sink: { dest: join(dir, 'shipped.log') } });
  variants.shipped = { logger: shipped, log: createRequestLog(shipped, { accessLog: true }) };
  // the request log as it was: the line through the logger's own redaction
  for (const [name, sync] of [['sync+redact', true], ['async+redact', false]] as const) {
    const logger = previous(sync, join(dir, `${name}.log`));
    // createRequestLog makes a child without redaction; keep the parent's redaction as before this change
    logger.child = (() => logger) as never;
    variants[name] = { logger, log: createRequestLog(logger, { accessLog: true }) };
  }
  const sync = pino({ name: 'edge', level: 'info', ...common }, pino.destination({ dest: join(dir, 'sync.log'), sync: true }));
  variants.sync = { logger: sync, log: createRequestLog(sync, { accessLog: true }) };
}

const record = (i: number): RequestRecord => ({
  requestId: `0af7651916cd43dd${i}`, traceId: '0af7651916cd43dd8448eb211c80319c', traceparent: '', method: 'GET', path: '/orders/1', query: '',
  route: 'orders', status: undefined, code: undefined, reason: undefined, clientId: 'demo-app', sub: 'demo-app', cache: 'hit', start: performance.now(), upstreamMs: 0.9,
});
const cpuUs = () => { const u = process.cpuUsage(); return u.user + u.system; };
const results = new Map<string, number[]>(Object.keys(variants).map((k) => [k, []]));
for (let round = 0; round <= rounds; round++) {
  const names = Object.keys(variants);
  for (const name of round % 2 ? names.reverse() : names) {
    const { logger, log } = variants[name]!;
    const t = cpuUs();
    for (let i = 0; i < lines; i += BURST) {
      for (let j = i; j < i + BURST && j < lines; j++) log(record(j), 200);
      await nextTurn();
    }
    await new Promise<void>((resolve) => logger.flush(() => resolve()));
    if (round > 0) results.get(name)!.push((cpuUs() - t) / lines); // round 0 warms up
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const shipped = results.get('shipped')!;
for (const [name, us] of results) {
  process.stdout.write(`${name.padEnd(13)} ${median(us).toFixed(2).padStart(6)} µs CPU per line (median of ${us.length} rounds of ${lines})   ${name === 'shipped' ? '' : `shipped/${name} ${median(shipped.map((s, i) => s / us[i]!)).toFixed(2)}`}\n`);
}
for (const { logger } of Object.values(variants)) await closeLogger(logger);
rmSync(dir, { recursive: true, force: true });
