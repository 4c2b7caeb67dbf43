import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { closeSync, constants, mkdtempSync, openSync, read, readFileSync, readSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from './create-logger.js';
import { createRequestLog, type RequestRecord } from './request-log.js';
import { closeLogger, droppedLogLines, flushLogger } from './logger-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'log-sink-'));
const record = (i: number): RequestRecord => ({
  requestId: `req-${i}`, traceId: '0af7651916cd43dd8448eb211c80319c', traceparent: '', method: 'GET', path: `/orders/${i}`, query: '?secret=x',
  route: 'orders', status: undefined, code: undefined, reason: undefined, clientId: 'demo-app', sub: 'alice', cache: 'hit', start: performance.now(),
});

/**
 * A FIFO with a non-blocking reader, and the head of a child program whose sink (its `options` added) writes 3 000
 * lines of ~115 bytes into it, non-blocking, with no periodic flush.
 */
function fifoChild(name: string, options = ''): { reader: number; head: string } {
  const fifo = join(dir, name);
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const sinkModule = fileURLToPath(new URL('./log-sink.js', import.meta.url));
  const head = `import { openSync, constants } from 'node:fs';
    import { createLogSink } from ${JSON.stringify(sinkModule)};
    const sink = createLogSink({ dest: openSync(${JSON.stringify(fifo)}, constants.O_WRONLY | constants.O_NONBLOCK), ${options}flushMs: 60000 });
    for (let i = 0; i < 3000; i++) sink.write(JSON.stringify({ i, pad: 'x'.repeat(100) }) + '\\n');`;
  return { reader, head };
}

test('flushLogger writes every buffered access line to the file (fewer bytes than one batch are held back until then)', async () => {
  const file = join(dir, 'flush.log');
  const logger = createLogger({ name: 't', level: 'info', sink: { dest: file, flushMs: 60_000 } });
  const log = createRequestLog(logger, { accessLog: true });
  for (let i = 0; i < 10; i++) log(record(i), 200);
  await flushLogger(logger);
  const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { request_id: string; path: string; msg: string });
  assert.deepEqual(lines.map((l) => l.request_id), Array.from({ length: 10 }, (_, i) => `req-${i}`));
  assert.ok(lines.every((l) => l.msg === 'request' && !l.path.includes('?')));
  assert.equal(droppedLogLines(logger), 0);
  await closeLogger(logger);
});

test('a process that exits without a drain still writes every buffered line (synchronously, from its exit event)', () => {
  const file = join(dir, 'exit.log');
  const sinkModule = fileURLToPath(new URL('./log-sink.js', import.meta.url));
  // 20 000 lines, ~230 KB: several 64 KiB batches, the last lines still buffered at exit (none may be lost; a batch
  // still on the thread pool at exit may land after them, so the order is not checked)
  const script = `import { createLogSink } from ${JSON.stringify(sinkModule)};
    const sink = createLogSink({ dest: ${JSON.stringify(file)}, flushMs: 60000 });
    for (let i = 0; i < 20000; i++) sink.write(JSON.stringify({ i }) + '\\n');
    process.exit(0);`;
  execFileSync(process.execPath, ['--input-type=module', '-e', script]);
  const ids = readFileSync(file, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { i: number }).i).sort((a, b) => a - b);
  assert.deepEqual(ids, Array.from({ length: 20_000 }, (_, i) => i));
});

test('a process that exits while a batch waits on a stalled pipe writes that batch before the lines behind it: every line once, in order', async () => {
  // a 256 KiB batch against a 64 KiB pipe nobody reads yet: the pipe takes a part, the rest waits to retry; more lines
  // are buffered behind it; the child exits (no drain) and only then does this test start reading
  const { reader, head } = fifoChild('exit.fifo', 'minBytes: 256 * 1024, ');
  const script = `${head}
    setTimeout(() => { process.stderr.write('exiting\\n'); process.exit(0); }, 175);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.on('exit', () => { exited = true; });
  await once(child.stderr, 'data');
  let text = '';
  const buf = Buffer.alloc(1 << 16);
  for (const deadline = Date.now() + 10_000; ;) {
    assert.ok(Date.now() < deadline, `read ${text.length} bytes`);
    let n = -1;
    try { n = readSync(reader, buf); } catch (err) { assert.equal((err as NodeJS.ErrnoException).code, 'EAGAIN'); }
    if (n > 0) text += buf.subarray(0, n).toString('utf8');
    else if (n === 0 && exited) break; // the writer is gone and the pipe is empty
    else await new Promise((r) => setTimeout(r, 5));
  }
  closeSync(reader);
  const expected = Array.from({ length: 3000 }, (_, i) => `${JSON.stringify({ i, pad: 'x'.repeat(100) })}\n`).join('');
  assert.equal(text.length, expected.length, 'every byte arrived');
  assert.ok(text === expected, 'every line once, in order');
});

test('a process that exits on a full pipe nobody reads gives up after its bound: it exits, and every line is either in the pipe or counted as dropped', async () => {
  // ~360 KB against a 64 KiB pipe: a batch waits to retry, lines are buffered behind it; the exit flush waits 1 s at most
  const { reader, head } = fifoChild('never-read.fifo');
  const script = `${head}
    process.on('exit', () => process.stderr.write(String(sink.stats.dropped))); // after the sink's own exit listener
    setTimeout(() => process.exit(0), 175);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
  const [code] = await once(child, 'exit') as [number];
  assert.equal(code, 0);
  let text = '';
  const buf = Buffer.alloc(1 << 16);
  for (let n = readSync(reader, buf); n > 0; n = readSync(reader, buf)) text += buf.subarray(0, n).toString('utf8');
  closeSync(reader);
  const read = text.split('\n').length - 1;
  assert.ok(read > 0 && read < 3000, `read ${read}`);
  assert.equal(read + Number(stderr), 3000, `read ${read}, dropped ${stderr}`);
});

test('a program that ends on its own while its sink waits on a pipe nobody reads still ends (after the exit flush gives up)', async () => {
  // nothing else keeps this program alive: only the sink's retries against the full pipe could
  const { reader, head: script } = fifoChild('ends.fifo');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const [code, signal] = await once(child, 'exit') as [number | null, string | null];
  clearTimeout(killer);
  closeSync(reader);
  assert.deepEqual([code, signal], [0, null], 'ended by itself, not killed after 10 s');
});

test('a sink nobody reads: lines past the buffer bound are dropped and counted; every line accepted arrives once the sink reads again', async () => {
  // a real FIFO whose only reader is this test, which does not read until the end
  const fifo = join(dir, 'blocked.fifo');
  execFileSync('mkfifo', [fifo]);
  const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
  const maxBytes = 64 * 1024;
  const logger = createLogger({ name: 't', level: 'info', sink: { dest: fd, maxBytes, minBytes: 1024, flushMs: 10 } });
  const log = createRequestLog(logger, { accessLog: true });
  const total = 20_000; // ~4 MiB of lines against a 64 KiB pipe and a 64 KiB buffer
  for (let i = 0; i < total; i++) {
    log(record(i), 200);
    if (i % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  const dropped = droppedLogLines(logger);
  // held at most: what the pipe took (64 KiB on Linux) plus the bounded buffer; a line is > 150 bytes
  const mostAccepted = Math.ceil((64 * 1024 + maxBytes) / 150);
  assert.ok(total - dropped <= mostAccepted, `accepted ${total - dropped} lines, at most ${mostAccepted} fit`);

  // the reader comes back: everything accepted is written, nothing twice, in order
  const flushed = flushLogger(logger, 10_000);
  let text = '';
  const buf = Buffer.alloc(1 << 16);
  const deadline = Date.now() + 10_000;
  while (text.split('\n').length - 1 < total - dropped) {
    assert.ok(Date.now() < deadline, `only ${text.split('\n').length - 1} of ${total - dropped} lines arrived`);
    try { const n = readSync(fd, buf); text += buf.subarray(0, n).toString('utf8'); } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'EAGAIN');
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  await flushed;
  const ids = text.trim().split('\n').map((l) => Number((JSON.parse(l) as { request_id: string }).request_id.slice(4)));
  assert.equal(ids.length, total - dropped);
  assert.ok(ids.every((id, i) => i === 0 || id > ids[i - 1]!), 'in order, none twice');
  await closeLogger(logger); // closes the FIFO's fd
});

test('closing a sink whose reader stalled: every line is either read or counted as dropped, and nothing is written after the close', async () => {
  const fifo = join(dir, 'stalled.fifo');
  execFileSync('mkfifo', [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  // a bound above the pipe's 64 KiB: one batch fills the pipe and the sink is retrying the rest of it when it is closed
  const logger = createLogger({ name: 't', level: 'info', sink: { dest: writer, minBytes: 1024, maxBytes: 256 * 1024, flushMs: 10 } });
  const log = createRequestLog(logger, { accessLog: true });
  const total = 2000; // ~400 KB: the lines past the bound are dropped as they come
  for (let i = 0; i < total; i++) log(record(i), 200);
  await closeLogger(logger, 100);
  // the next descriptor opened takes the closed one's number: a write still scheduled would land in this file
  const after = join(dir, 'after-close.log');
  const reused = openSync(after, 'w');
  let text = '';
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    try { const n = readSync(reader, buf); if (n === 0) break; text += buf.subarray(0, n).toString('utf8'); } catch (err) {
      assert.equal((err as NodeJS.ErrnoException).code, 'EAGAIN');
      break;
    }
  }
  await new Promise((r) => setTimeout(r, 300)); // six retry periods of the closed sink
  assert.equal(readFileSync(after, 'utf8'), '');
  const read = text.split('\n').length - 1;
  assert.ok(read > 0 && read < total, `read ${read}`);
  assert.equal(read + droppedLogLines(logger), total);
  closeSync(reused);
  closeSync(reader);
});

test('closing a sink while its batch waits for a thread: the descriptor stays open until that write ends, so it never lands in a file opened after the close', async () => {
  // the four threads of libuv's pool, each blocked reading a FIFO nobody writes yet: the sink's write waits behind them
  const fifo = join(dir, 'pool.fifo');
  execFileSync('mkfifo', [fifo]);
  const blocker = openSync(fifo, constants.O_RDWR);
  const reads = Array.from({ length: 4 }, () => new Promise((r) => read(blocker, Buffer.alloc(1), 0, 1, null, r)));
  const file = join(dir, 'queued.log');
  const logger = createLogger({ name: 't', level: 'info', sink: { dest: file, flushMs: 60_000 } });
  const log = createRequestLog(logger, { accessLog: true });
  for (let i = 0; i < 10; i++) log(record(i), 200);
  await closeLogger(logger, 50); // gives up waiting: the write is still queued
  const after = join(dir, 'opened-after-close.log');
  const reused = openSync(after, 'w'); // the lowest free number: the sink's, had it been closed
  writeSync(blocker, 'xxxx'); // frees the pool
  await Promise.all(reads);
  // the sink's write runs on the next free thread; its end shows as lines in the file or counted as dropped
  for (let i = 0; i < 100 && readFileSync(file, 'utf8').split('\n').length - 1 + droppedLogLines(logger) < 10; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(readFileSync(after, 'utf8'), '');
  assert.equal(readFileSync(file, 'utf8').split('\n').length - 1 + droppedLogLines(logger), 10, 'each line written to its file or counted');
  closeSync(reused);
  closeSync(blocker);
});

test('closing a logger twice closes its descriptor once: a file opened in between keeps its descriptor', async () => {
  const logger = createLogger({ name: 't', level: 'info', sink: { dest: join(dir, 'twice.log') } });
  await closeLogger(logger);
  const other = openSync(join(dir, 'opened-between.log'), 'w'); // takes the closed descriptor's number
  await closeLogger(logger);
  assert.equal(writeSync(other, 'still open\n'), 11);
  closeSync(other);
});

test('the general logger censors credentials at any depth; the access line carries only its own fields', () => {
  const out: string[] = [];
  const destination = new Writable({ write(chunk: Buffer, _e, cb) { out.push(chunk.toString()); cb(); } });
  const logger = createLogger({ name: 't', level: 'info', destination });
  logger.info({ token: 'tok-one', headers: { authorization: 'Bearer tok-two', cookie: 'C' }, req: { headers: { authorization: 'Bearer tok-three' } }, as: { clientSecret: 'sec-ret' } }, 'raw');
  createRequestLog(logger, { accessLog: true })(record(1), 200);
  const [raw, access] = out.map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.equal(raw!.token, '[Redacted]');
  assert.deepEqual(raw!.headers, { authorization: '[Redacted]', cookie: '[Redacted]' });
  assert.deepEqual(raw!.req, { headers: { authorization: '[Redacted]' } });
  assert.deepEqual(raw!.as, { clientSecret: '[Redacted]' });
  assert.ok(!out.join('').match(/tok-|sec-ret/));
  assert.deepEqual(Object.keys(access!).sort(), ['cache', 'client_id', 'duration_ms', 'level', 'method', 'msg', 'name', 'path', 'request_id', 'route', 'status', 'sub', 'time', 'trace_id']);
  assert.equal(access!.path, '/orders/1');
});
