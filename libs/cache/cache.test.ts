import { test } from 'node:test';
import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { createSingleFlight, tokenHash } from './index.js';

test('tokenHash is SHA-256 base64url and does not contain the token', () => {
  const h = tokenHash('secret-token-value');
  assert.match(h, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(h, createHash('sha256').update('secret-token-value').digest('base64url'));
  assert.ok(!h.includes('secret') && !h.includes('token'));
  assert.equal(h, tokenHash('secret-token-value'));
  assert.notEqual(h, tokenHash('secret-token-valuf'));
});

test('single flight: concurrent callers share one execution, later callers start a new one', async () => {
  const sf = createSingleFlight<number>();
  let calls = 0;
  const work = async () => { calls++; await new Promise((r) => setTimeout(r, 10)); return calls; };
  const runs = Array.from({ length: 50 }, () => sf.run('k', work));
  assert.equal(runs.filter((r) => r.shared).length, 49);
  assert.deepEqual(new Set(await Promise.all(runs.map((r) => r.promise))), new Set([1]));
  assert.equal(sf.size, 0);
  assert.equal(await sf.run('k', work).promise, 2);
});

test('single flight: a rejection reaches every waiter and is not kept', async () => {
  const sf = createSingleFlight<number>();
  const a = sf.run('k', async () => { throw new Error('boom'); });
  const b = sf.run('k', async () => 1);
  await assert.rejects(a.promise, /boom/);
  await assert.rejects(b.promise, /boom/);
  assert.equal(await sf.run('k', async () => 7).promise, 7);
});
