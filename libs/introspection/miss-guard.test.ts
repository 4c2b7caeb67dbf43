import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMissGuard } from './miss-guard.js';
import { GatewayError } from '../errors/index.js';

const codeOf = (fn: () => unknown): string => {
  try { fn(); return 'admitted'; } catch (err) {
    assert.ok(err instanceof GatewayError);
    return `${err.status} ${err.code} ${err.reason} retry-after=${err.retryAfter}`;
  }
};

test('per peer: `limit` unknown tokens per window, then 429 with Retry-After until the window ends; other peers unaffected', () => {
  let now = 10_000;
  const guard = createMissGuard({ maxConcurrent: 100, perPeer: { limit: 3, windowMs: 1000 }, now: () => now });
  const results = Array.from({ length: 4 }, () => codeOf(() => guard.admit('10.0.0.1')()));
  assert.deepEqual(results, ['admitted', 'admitted', 'admitted', '429 rate_limited unknown_token_rate retry-after=1']);
  assert.equal(codeOf(() => guard.admit('10.0.0.2')()), 'admitted');
  now += 1000;
  assert.equal(codeOf(() => guard.admit('10.0.0.1')()), 'admitted', 'a new window');
  assert.deepEqual(guard.refused, { rate: 1, concurrency: 0 });
});

test('globally: at most maxConcurrent calls in flight, then 503 with Retry-After; a release frees a slot', () => {
  const guard = createMissGuard({ maxConcurrent: 2, perPeer: { limit: 100, windowMs: 1000 } });
  const first = guard.admit('a');
  guard.admit('b');
  assert.equal(guard.inFlight, 2);
  assert.equal(codeOf(() => guard.admit('c')), '503 overloaded introspection_concurrency retry-after=1');
  first();
  first(); // idempotent
  assert.equal(guard.inFlight, 1);
  assert.equal(codeOf(() => guard.admit('c')), 'admitted');
});
