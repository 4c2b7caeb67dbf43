import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createConcurrencyGate, createLocalLimiter, createThrottle, gcraOf, type Admission, type Subject } from './index.js';
import { GatewayError } from '../errors/index.js';

const silent = pino({ level: 'silent' });
const who = (client_id: string, extra: Record<string, unknown> = {}, peer = '192.0.2.1'): Subject => ({ claims: { client_id, ...extra }, peer });
const admitted = (a: Admission | Promise<Admission>) => { assert.ok(!(a instanceof Promise), 'local admission is synchronous'); return a; };
const isLimited = (e: unknown) => e instanceof GatewayError && e.code === 'rate_limited';

test('GCRA: a full bucket admits the burst at once, then one request per interval; exact remaining, reset and retry', () => {
  let clock = 1_000_000;
  const limiter = createLocalLimiter({ maxKeys: 2, now: () => clock });
  const g = gcraOf({ limit: 5, windowMs: 60_000 });
  assert.deepEqual([1, 2, 3, 4, 5].map(() => limiter.take('a', g).remaining), [4, 3, 2, 1, 0]);
  const refused = limiter.take('a', g);
  assert.deepEqual(refused, { allowed: false, remaining: 0, resetMs: 60_000, retryMs: 12_000 });
  clock += 12_000;
  assert.deepEqual(limiter.take('a', g), { allowed: true, remaining: 0, resetMs: 60_000, retryMs: 0 }, 'one interval later, exactly one more');
  assert.equal(limiter.take('b', g).remaining, 4, 'keys are counted apart');
  limiter.take('c', g);
  assert.equal(limiter.size, 2, 'the LRU bound holds');
});

test('no boundary burst: 2× the limit sent across a fixed-window boundary admits at most burst + limit·Δ/window', () => {
  for (const burst of [undefined, 3]) {
    let clock = 59_900; // 100 ms before a minute boundary
    const limiter = createLocalLimiter({ maxKeys: 10, now: () => clock });
    const rule = { limit: 10, windowMs: 60_000, burst };
    const g = gcraOf(rule);
    let ok = 0;
    for (let i = 0; i < 20; i++) { if (limiter.take('a', g).allowed) ok++; clock += 10; } // 20 requests over 200 ms, straddling 60 000
    const bound = (burst ?? rule.limit) + Math.floor((rule.limit * 200) / rule.windowMs);
    assert.equal(ok, bound, `burst ${burst ?? 'default'}: admitted ${ok}, a fixed window would admit 20`);
    assert.ok(ok <= rule.limit + (burst ?? rule.limit) && ok < 2 * rule.limit);
  }
});

test('throttle: RateLimit headers on success; 429 with Retry-After and exact headers when over', () => {
  let clock = 120_000;
  const throttle = createThrottle({
    routes: { orders: { perClient: { limit: 2, windowMs: 60_000 }, perRoute: { limit: 100, windowMs: 60_000 } } },
    maxClients: 10, logger: silent, now: () => clock,
  });
  const first = admitted(throttle.admit('orders', who('app')));
  assert.equal(first.headers['ratelimit-policy'], '"orders-client";q=2;w=60, "orders";q=100;w=60');
  assert.equal(first.headers.ratelimit, '"orders-client";r=1;t=30');
  clock += 17_000;
  assert.equal(admitted(throttle.admit('orders', who('app'))).headers.ratelimit, '"orders-client";r=0;t=43');
  assert.throws(() => throttle.admit('orders', who('app')), (err: unknown) => {
    assert.ok(err instanceof GatewayError);
    assert.equal(err.status, 429);
    assert.equal(err.retryAfter, 13, 'the next request fits when one interval (30 s) has passed since the bucket emptied');
    assert.equal(err.headers?.ratelimit, '"orders-client";r=0;t=43');
    assert.equal(err.headers?.['ratelimit-policy'], '"orders-client";q=2;w=60, "orders";q=100;w=60');
    return true;
  });
  assert.equal(admitted(throttle.admit('orders', who('other'))).headers.ratelimit, '"orders-client";r=1;t=30', 'another client has its own budget');
  assert.deepEqual(admitted(throttle.admit('unthrottled', who('app'))).headers, {});
  const stats = [...throttle.ruleStats];
  assert.deepEqual(stats.map((s) => [s.route, s.rule, s.admitted, s.limited, s.fallback]), [['orders', 'client', 3, 1, 0], ['orders', 'route', 3, 0, 0]]);
});

test('claim tiers: each tier value has its limit, an unknown or missing tier gets the default, headers name the applied quota', () => {
  const throttle = createThrottle({
    routes: { api: { perClient: { limit: 2, windowMs: 1000, key: ['client_id'], tiers: { claim: 'tier', limits: { gold: { limit: 5, windowMs: 1000 } } } } } },
    maxClients: 10, logger: silent, now: () => 5_000,
  });
  const count = (s: Subject) => { let n = 0; for (let i = 0; i < 10; i++) { try { admitted(throttle.admit('api', s)); n++; } catch (e) { assert.ok(isLimited(e)); } } return n; };
  assert.equal(admitted(throttle.admit('api', who('g0', { tier: 'gold' }))).headers['ratelimit-policy'], '"api-client";q=5;w=1');
  assert.equal(count(who('g', { tier: 'gold' })), 5);
  assert.equal(count(who('s', { tier: 'silver' })), 2, 'unknown tier: default');
  assert.equal(count(who('n')), 2, 'no tier claim: default');
  assert.equal(count(who('o', { tier: { gold: true } })), 2, 'a non-string claim is no tier');
});

test('keys: a claim shares one bucket across clients, a combination keeps them apart, peer counts by address', () => {
  const make = (key: string[]) => createThrottle({ routes: { r: { perClient: { limit: 3, windowMs: 60_000, key: key as never } } }, maxClients: 100, logger: silent, now: () => 0 });
  const byOrg = make(['claim:org']);
  const results = ['a', 'b', 'c', 'd'].map((c) => { try { byOrg.admit('r', who(c, { org: 'acme' })); return 200; } catch { return 429; } });
  assert.deepEqual(results, [200, 200, 200, 429], 'four clients of one org share its 3');
  const byOrgAndClient = make(['claim:org', 'client_id']);
  for (const c of ['a', 'b', 'c', 'd']) admitted(byOrgAndClient.admit('r', who(c, { org: 'acme' })));
  // length-prefixed parts: ("ab", "c") and ("a", "bc") are different buckets
  for (let i = 0; i < 3; i++) admitted(byOrgAndClient.admit('r', who('c', { org: 'ab' })));
  admitted(byOrgAndClient.admit('r', who('bc', { org: 'a' })));
  const byPeer = make(['peer']);
  for (let i = 0; i < 3; i++) admitted(byPeer.admit('r', who(`c${i}`, {}, '198.51.100.7')));
  assert.throws(() => byPeer.admit('r', who('c9', {}, '198.51.100.7')), isLimited);
  admitted(byPeer.admit('r', who('c9', {}, '198.51.100.8')));
});

test('reload: a throttle built with the previous one keeps its buckets and counters', async () => {
  const options = { maxClients: 10, logger: silent, now: () => 0 };
  const first = createThrottle({ ...options, routes: { a: { perClient: { limit: 2, windowMs: 60_000 } }, b: { perClient: { limit: 2, windowMs: 60_000 } } } });
  first.admit('a', who('x')); first.admit('a', who('x'));
  first.admit('b', who('x')); first.admit('b', who('x'));
  const second = createThrottle({ ...options, routes: { a: { perClient: { limit: 2, windowMs: 60_000 } }, b: { perClient: { limit: 2, windowMs: 60_000, key: ['sub'] } } } }, first);
  await first.close();
  assert.throws(() => second.admit('a', who('x')), isLimited, 'unchanged route: the spent bucket carried over');
  admitted(second.admit('b', { claims: { sub: 'x' }, peer: '' }));
  assert.deepEqual([...second.ruleStats].map((s) => [s.route, s.admitted, s.limited]), [['a', 2, 1], ['b', 3, 0]]);
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

test('peer address: the socket peer, or the last X-Forwarded-For entry when the peer is a trusted proxy', async () => {
  const { peerAddress } = await import('./index.js');
  const req = (remoteAddress: string, xff?: string) => ({ socket: { remoteAddress }, headers: xff === undefined ? {} : { 'x-forwarded-for': xff } }) as never;
  const trusted = new Set(['10.0.0.1']);
  assert.equal(peerAddress(req('::ffff:192.0.2.9', '1.1.1.1'), trusted), '192.0.2.9', 'an untrusted peer cannot choose its key');
  assert.equal(peerAddress(req('10.0.0.1', '1.1.1.1, 192.0.2.5'), trusted), '192.0.2.5', 'only the entry the proxy appended');
  assert.equal(peerAddress(req('10.0.0.1'), trusted), '10.0.0.1');
});

test('a RequestSubject reads the peer address only when a limit counts by it, then once', async () => {
  const { RequestSubject } = await import('./index.js');
  let reads = 0;
  const req = { socket: { get remoteAddress() { reads++; return '10.0.0.1'; } }, headers: { 'x-forwarded-for': '1.1.1.1, 192.0.2.5' } } as never;
  const byClient = createThrottle({ routes: { r: { perClient: { limit: 5, windowMs: 1000 } } }, maxClients: 10, logger: silent });
  byClient.admit('r', new RequestSubject({ client_id: 'c' }, req, new Set(['10.0.0.1'])));
  assert.equal(reads, 0, 'a per-client limit does not need the peer');
  const byPeer = createThrottle({ routes: { r: { perClient: { limit: 1, windowMs: 60_000, key: ['peer'] } } }, maxClients: 10, logger: silent });
  const subject = new RequestSubject({ client_id: 'c' }, req, new Set(['10.0.0.1']));
  byPeer.admit('r', subject);
  assert.equal(subject.peer, '192.0.2.5', 'the trusted proxy\'s last X-Forwarded-For entry');
  assert.equal(reads, 1);
  assert.throws(() => byPeer.admit('r', new RequestSubject({ client_id: 'd' }, req, new Set(['10.0.0.1']))), (e: unknown) => e instanceof GatewayError && e.code === 'rate_limited', 'another client behind the same address shares the bucket');
});

test('throttle handed over on reload: unchanged routes keep their buckets and in-flight requests; a changed rule applies its new rate to the client\'s bucket', () => {
  const clock = 60_000;
  const client = (id: string) => ({ claims: { client_id: id }, peer: '192.0.2.1' });
  const routes = {
    kept: { perClient: { limit: 2, windowMs: 60_000 }, concurrency: { max: 1, queue: 0, maxWaitMs: 100 } },
    changed: { perClient: { limit: 1, windowMs: 60_000 } },
  };
  const before = createThrottle({ routes, maxClients: 10, logger: silent, now: () => clock });
  const inFlight = before.admit('kept', client('c1'));
  assert.ok(!(inFlight instanceof Promise));
  before.admit('changed', client('c1'));
  const after = createThrottle({ routes: { ...routes, changed: { perClient: { limit: 3, windowMs: 60_000 } } }, maxClients: 10, logger: silent, now: () => clock }, before);
  assert.equal(after.inFlight, 1, 'the request admitted before the reload is counted by the new throttle');
  assert.throws(() => after.admit('kept', client('c2')), (e: unknown) => e instanceof GatewayError && e.reason === 'queue_full');
  inFlight.release();
  assert.equal(after.inFlight, 0);
  const second = after.admit('kept', client('c1')) as { release(): void };
  second.release();
  assert.throws(() => after.admit('kept', client('c1')), (e: unknown) => e instanceof GatewayError && e.code === 'rate_limited', 'c1 used its 2 of 2 across the reload');
  // a changed rule is in force at once, on the bucket the client already has (a GCRA bucket is a time, valid under any rate):
  // c1 spent 1 of 1 a minute; at 3 a minute its next request fits after one new interval (20 s), not the old rule's 60 s
  assert.throws(() => after.admit('changed', client('c1')), (e: unknown) => e instanceof GatewayError && e.code === 'rate_limited' && e.retryAfter === 20);
});
