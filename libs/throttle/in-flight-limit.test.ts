import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInFlightLimit } from './in-flight-limit.js';

test('at most `max` in flight per key; 429 rate_limited with Retry-After beyond; releases are idempotent and keys forgotten', () => {
  const limit = createInFlightLimit(2);
  const a1 = limit.enter('client-a');
  limit.enter('client-a');
  assert.throws(() => limit.enter('client-a'), { code: 'rate_limited', status: 429, retryAfter: 1, reason: 'client_in_flight' });
  const b = limit.enter('client-b');
  a1(); a1();
  limit.enter('client-a');
  assert.throws(() => limit.enter('client-a'), { code: 'rate_limited' });
  b();
  assert.equal(limit.clients, 1, 'a key with nothing in flight is not kept');
});
