import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntrospectionResponse } from 'oauth4webapi';
import { createIntrospectionCache, type SharedAnswer } from './index.js';
import { tokenHash } from '../cache/index.js';

/** the L1 in front of a shared L2 (here a small function standing in for Redis; the real one is in test/e2e/shared-cache.test.ts) */
function setup(answer: (call: () => Promise<IntrospectionResponse>) => Promise<SharedAnswer>) {
  let clock = 1_000_000;
  const asked: string[] = [];
  let calls = 0;
  const cache = createIntrospectionCache({
    introspect: async () => { calls++; return { active: true, exp: 10_000, sub: 'alice' }; },
    maxEntries: 10, maxTtlSeconds: 300, inactiveMaxEntries: 10, inactiveTtlSeconds: 10,
    shared: { resolve: (hash, call) => { asked.push(hash); return answer(call); } },
    now: () => clock,
  });
  return { cache, asked, calls: () => calls, advance: (ms: number) => { clock += ms; } };
}

test('shared L2: a warm L1 hit does not ask the shared cache (synchronous, no Redis on the hot path)', async () => {
  const s = setup(async (call) => ({ result: await call() }));
  const first = await s.cache.lookup('tok');
  assert.equal(first.outcome, 'miss');
  assert.deepEqual(s.asked, [tokenHash('tok')], 'the L2 is keyed by the token hash, never the token');
  const warm = s.cache.lookup('tok');
  assert.ok(!(warm instanceof Promise), 'a warm hit is synchronous');
  assert.equal(warm.outcome, 'hit');
  assert.equal(s.asked.length, 1);
  assert.equal(s.calls(), 1);
});

test('shared L2: an answer from Redis stays fresh in L1 no longer than its remaining time there', async () => {
  const s = setup(async () => ({ result: { active: true, exp: 10_000, sub: 'alice' }, freshMs: 2_000 }));
  assert.equal((await s.cache.lookup('tok')).outcome, 'miss');
  assert.equal(s.calls(), 0, 'served by the shared cache: no AS call here');
  s.advance(1_999);
  assert.equal((s.cache.lookup('tok') as { outcome: string }).outcome, 'hit');
  s.advance(2);
  const lapsed = s.cache.lookup('tok');
  assert.ok(lapsed instanceof Promise, 'past the shared entry\'s time, L1 asks again');
  await lapsed;
  assert.equal(s.asked.length, 2);
});
