import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecisionCache } from './decision-cache.js';
import type { Decision } from './evaluation.js';

const allow: Decision = { decision: true, by: 'authzen' };

test('identical concurrent misses share one evaluation; the next lookup is a synchronous hit', async () => {
  const cache = createDecisionCache({ ttlMs: 60_000, maxEntries: 10 });
  let calls = 0;
  let release!: (d: Decision) => void;
  const evaluate = () => { calls++; return new Promise<Decision>((r) => { release = r; }); };
  const pending = Array.from({ length: 20 }, () => cache.get('k', evaluate));
  assert.equal(calls, 1);
  assert.ok(pending.every((p) => p instanceof Promise));
  release(allow);
  assert.deepEqual(await Promise.all(pending), Array(20).fill(allow));
  assert.equal(cache.get('k', evaluate), allow);
  assert.deepEqual(cache.stats, { hits: 1, misses: 1, shared: 19 });
});

test('failures are not cached; distinct keys evaluate separately; size stays bounded', async () => {
  const cache = createDecisionCache({ ttlMs: 60_000, maxEntries: 3 });
  let calls = 0;
  await assert.rejects(cache.get('a', () => { calls++; return Promise.reject(new Error('down')); }) as Promise<Decision>, /down/);
  assert.equal(await cache.get('a', () => { calls++; return Promise.resolve(allow); }), allow);
  for (const k of ['b', 'c', 'd', 'e']) await cache.get(k, () => { calls++; return Promise.resolve(allow); });
  assert.equal(calls, 6);
  assert.equal(cache.size, 3);
});

test('ttl 0 caches nothing (single-flight only)', async () => {
  const cache = createDecisionCache({ ttlMs: 0, maxEntries: 3 });
  let calls = 0;
  await cache.get('a', () => { calls++; return Promise.resolve(allow); });
  assert.ok(cache.get('a', () => { calls++; return Promise.resolve(allow); }) instanceof Promise);
  assert.equal(calls, 2);
});
