import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { watchConfig } from './config-reloader.js';

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('one reload per change: a file edit announced by SIGHUP and seen by the file watch applies once; a later SIGHUP reloads again', { timeout: 10_000 }, async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'phantom-reload-')), 'gateway.yaml');
  writeFileSync(file, 'routes: []\n');
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { lines.push(line); } });
  let clock = 1_000_000;
  let applied = 0;
  const stop = watchConfig({ file, logger, intervalMs: 20, now: () => clock, apply: async () => { applied++; } });
  t.after(stop);

  writeFileSync(file, 'routes: [] # edited, and longer\n');
  process.kill(process.pid, 'SIGHUP');
  await until(() => applied === 1, 'the first reload');
  // whichever comes second (the file watch or the signal, in either order on a busy machine) sees the same edit and does nothing with it
  await until(() => lines.some((l) => l.includes('nothing to do')), 'the second trigger');
  assert.equal(applied, 1);

  // an explicit SIGHUP later, with the file unchanged, still reloads (key files may have changed)
  clock += 60_000;
  process.kill(process.pid, 'SIGHUP');
  await until(() => applied === 2, 'the second SIGHUP reload');
});

test('a refused reload is logged once with its error and the next edit is tried', { timeout: 10_000 }, async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'phantom-reload-')), 'gateway.yaml');
  writeFileSync(file, 'a: 1\n');
  const lines: string[] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => { lines.push(line); } });
  let applied = 0;
  const stop = watchConfig({ file, logger, intervalMs: 20, apply: async () => { applied++; if (applied === 1) throw new Error('bad file'); } });
  t.after(stop);
  writeFileSync(file, 'a: 22\n');
  await until(() => lines.some((l) => l.includes('configuration reload refused')), 'the refusal');
  assert.match(lines.find((l) => l.includes('refused'))!, /"error":"bad file"/);
  writeFileSync(file, 'a: 333\n');
  await until(() => applied === 2, 'the next edit');
  assert.equal(lines.filter((l) => l.includes('refused')).length, 1);
});

test('a SIGHUP right after start reloads (no edit was announced: the start-up baseline is not a reload)', { timeout: 10_000 }, async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'phantom-reload-')), 'gateway.yaml');
  writeFileSync(file, 'routes: []\n');
  const logger = pino({ level: 'silent' });
  let applied = 0;
  const stop = watchConfig({ file, logger, intervalMs: 20, now: () => 1_000_000, apply: async () => { applied++; } });
  t.after(stop);
  process.kill(process.pid, 'SIGHUP');
  await until(() => applied === 1, 'the SIGHUP reload');
});
