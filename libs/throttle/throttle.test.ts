import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createConcurrencyGate, createThrottle, createWindowCounters } from './index.js';
import { GatewayError } from '../errors/index.js';

const silent = pino({ level: 'silent' });

test('window counters: exactly limit per window, epoch-aligned reset, bounded keys', () => {
  let clock = 10_000;
  const c = createWindowCounters({ limit: 3, windowMs: 1000 }, { maxKeys: 2, now: () => clock });
  assert.deepEqual([1, 2, 3, 4].map(() => c.take('a').allowed), [true, true, true, false]);
  assert.equal(c.take('a').resetMs, 1000);
  clock += 400;
  assert.equal(c.take('a').resetMs, 600);
  assert.equal(c.take('b').remaining, 2, 'clients are counted apart');
  c.take('c');
  assert.equal(c.size, 2, 'the LRU bound holds');
  clock = 11_000;
  assert.equal(c.take('a').allowed, true, 'a new window');
});

test('concurrency gate: slots, a bounded queue, a maximum wait, idempotent release', async () => {
  const gate = createConcurrencyGate({ max: 2, queue: 1, maxWaitMs: 50 });
  const a = gate.enter() as () => void;
  const b = gate.enter() as () => void;
  assert.equal(typeof a, 'function');
  const queued = gate.enter();
  assert.ok(queued instanceof Promise);
  assert.throws(() => gate.enter(), (e: unknown) => e instanceof GatewayError && e.code === 'overloaded' && e.reason === 'queue_full');
  a(); a();
  const c = await queued;
  assert.equal(gate.inFlight, 2);
  const late = gate.enter();
  await assert.rejects(Promise.resolve(late), (e: unknown) => e instanceof GatewayError && e.reason === 'queue_timeout' && e.status === 503);
  b(); c();
  assert.equal(gate.inFlight, 0);
});

test('throttle: RateLimit headers on success; 429 with Retry-After and headers when over', () => {
  let clock = 120_000;
  const throttle = createThrottle({
    routes: { orders: { perClient: { limit: 2, windowMs: 60_000 }, perRoute: { limit: 100, windowMs: 60_000 } } },
    maxClients: 10, logger: silent, now: () => clock,
  });
  const first = throttle.admit('orders', 'app') as { headers: Record<string, string> };
  assert.equal(first.headers['ratelimit-policy'], '"orders-client";q=2;w=60, "orders";q=100;w=60');
  assert.equal(first.headers.ratelimit, '"orders-client";r=1;t=60');
  clock += 17_000;
  throttle.admit('orders', 'app');
  try { throttle.admit('orders', 'app'); assert.fail('expected 429'); } catch (err) {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 43);
    assert.equal(err.headers?.ratelimit, '"orders-client";r=0;t=43');
  }
  assert.ok(!(throttle.admit('orders', 'other') instanceof Promise), 'another client has its own budget');
  assert.deepEqual((throttle.admit('unthrottled', 'app') as { headers: object }).headers, {});
});

test('throttle handed over on reload: unchanged routes keep their windows and in-flight requests; changed routes start afresh', () => {
  const clock = 60_000;
  const routes = {
    kept: { perClient: { limit: 2, windowMs: 60_000 }, concurrency: { max: 1, queue: 0, maxWaitMs: 100 } },
    changed: { perClient: { limit: 1, windowMs: 60_000 } },
  };
  const before = createThrottle({ routes, maxClients: 10, logger: silent, now: () => clock });
  const inFlight = before.admit('kept', 'c1');
  assert.ok(!(inFlight instanceof Promise));
  before.admit('changed', 'c1');
  const after = createThrottle({ routes: { ...routes, changed: { perClient: { limit: 3, windowMs: 60_000 } } }, maxClients: 10, logger: silent, now: () => clock, previous: before });
  assert.equal(after.inFlight, 1, 'the request admitted before the reload is counted by the new throttle');
  assert.throws(() => after.admit('kept', 'c2'), (e: unknown) => e instanceof GatewayError && e.reason === 'queue_full');
  inFlight.release();
  assert.equal(after.inFlight, 0);
  const second = after.admit('kept', 'c1') as { release(): void };
  second.release();
  assert.throws(() => after.admit('kept', 'c1'), (e: unknown) => e instanceof GatewayError && e.code === 'rate_limited', 'c1 used its 2 of 2 across the reload');
  assert.equal((after.admit('changed', 'c1') as { headers: Record<string, string> }).headers.ratelimit, '"changed-client";r=2;t=60', 'a changed rule starts a new count');
});
