import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { isoTime } from './iso-time.js';

test('isoTime prints what pino.stdTimeFunctions.isoTime prints, across seconds and for every millisecond width', (t) => {
  const times = [Date.UTC(2026, 10, 25, 22, 48, 32, 262), Date.UTC(2026, 10, 25, 22, 48, 32, 7), Date.UTC(2026, 10, 25, 22, 48, 32, 45),
    Date.UTC(2026, 10, 25, 22, 48, 33, 0), Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2027, 0, 1, 0, 0, 0, 1), Date.UTC(2026, 10, 25, 22, 48, 32, 999)];
  t.mock.method(Date, 'now', () => times[0]);
  for (const now of times) {
    (Date.now as unknown as { mock: { mockImplementation(f: () => number): void } }).mock.mockImplementation(() => now);
    assert.equal(isoTime(), pino.stdTimeFunctions.isoTime(), new Date(now).toISOString());
  }
});
