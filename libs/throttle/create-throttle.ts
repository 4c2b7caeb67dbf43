import type { Logger } from 'pino';
import { GatewayError } from '../errors/index.js';
import { createLocalLimiter, type LocalLimiter, type Take } from './gcra.js';
import { createConcurrencyGate, type ConcurrencyRule, type Release } from './concurrency-gate.js';
import { createRedisConnection, describeRedisTarget, type RedisConnection, type RedisTarget } from './redis-connection.js';
import { createRedisLimiter } from './redis-gcra.js';
import { compilePolicy, policyHeader, type Policy, type RateLimitSpec, type RuleStats, type Variant } from './compile-policy.js';
import type { Subject } from './rate-key.js';

export interface RouteThrottle {
  perClient?: RateLimitSpec | undefined;
  perRoute?: RateLimitSpec | undefined;
  concurrency?: ConcurrencyRule | undefined;
}

export interface ThrottleOptions {
  routes: Readonly<Record<string, RouteThrottle>>;
  /** most per-client buckets kept in memory (LRU) for local limits */
  maxClients: number;
  redis?: (RedisTarget & { prefix: string; failClosed: boolean }) | undefined;
  logger: Logger;
  now?: () => number;
}

export interface Admission {
  /** RateLimit-Policy / RateLimit headers for the response: a new object per admission, the caller may add to it */
  headers: Record<string, string>;
  /** frees the concurrency slot; call when the response is over */
  release: Release;
}

interface Route { name: string; policies: Policy[]; locals: LocalLimiter[]; gate?: ReturnType<typeof createConcurrencyGate> | undefined }
type Gate = ReturnType<typeof createConcurrencyGate>;
/** what a reload hands to the next throttle: local buckets, counters, concurrency gates (with their requests in flight) and the Redis connection */
interface Carried { locals: Map<string, LocalLimiter>; stats: Map<string, RuleStats>; gates: Map<string, { rule: string; gate: Gate }>; redis?: { target: string; connection: RedisConnection; refs: { n: number } } | undefined }

const NOOP: Release = () => {};
const CARRY: unique symbol = Symbol('carry');
/** a throttle whose state the next configuration can take over */
interface Carrier { [CARRY](): Carried }
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * Per-route throttling: per-client (by client, sub, claim, peer or a
 * combination, with claim tiers) and per-route rate limits (GCRA: smooth, no
 * window boundary), then a concurrency gate in front of the backend. With
 * Redis, buckets live in Redis (one script per rule and admission, nothing per
 * client here); while Redis is unreachable the local buckets take over (or,
 * with failClosed, requests get 503), logged once per change. Built with the
 * previous throttle, it keeps that one's buckets, counters and connection.
 */
export function createThrottle(options: ThrottleOptions, previous?: Carrier) {
  const now = options.now ?? Date.now;
  const carried: Carried | undefined = previous?.[CARRY]();
  const locals = new Map<string, LocalLimiter>();
  const stats = new Map<string, RuleStats>(carried?.stats);
  const routes = new Map<string, Route>();
  const gates = new Map<string, { rule: string; gate: Gate }>();
  for (const [name, t] of Object.entries(options.routes)) {
    // an unchanged concurrency rule keeps its gate, so requests admitted before a reload still count
    const rule = JSON.stringify(t.concurrency ?? null);
    const kept = carried?.gates.get(name);
    const gate = t.concurrency ? (kept?.rule === rule ? kept.gate : createConcurrencyGate(t.concurrency)) : undefined;
    if (gate) gates.set(name, { rule, gate });
    const route: Route = { name, policies: [], locals: [], gate };
    for (const [kind, spec] of [['client', t.perClient], ['route', t.perRoute]] as const) {
      if (!spec) continue;
      const id = `${name}|${kind}`;
      let s = stats.get(id);
      if (!s) stats.set(id, s = { route: name, rule: kind, admitted: 0, limited: 0, fallback: 0 });
      const storeId = `${id}|${JSON.stringify(spec.key ?? null)}`; // a bucket's TAT is valid under any rate: only the key shape matters
      const local = carried?.locals.get(storeId) ?? createLocalLimiter({ maxKeys: kind === 'client' ? options.maxClients : 1, now });
      locals.set(storeId, local);
      route.policies.push(compilePolicy(name, kind, spec, s));
      route.locals.push(local);
    }
    routes.set(name, route);
  }

  const redisSpec = options.redis;
  const target = redisSpec && JSON.stringify({ ...redisSpec, prefix: undefined, failClosed: undefined });
  const redis = redisSpec && (carried?.redis && carried.redis.target === target ? carried.redis : { target: target!, connection: createRedisConnection(redisSpec), refs: { n: 0 } });
  if (redis) redis.refs.n++;
  const shared = redis && createRedisLimiter(redis.connection.client);
  let sharedNow: boolean | undefined = redis?.connection.connected ? true : undefined;
  let closed = false;
  const unsubscribe = redis?.connection.onStatus((connected) => {
    if (connected === sharedNow) return;
    sharedNow = connected;
    if (connected) options.logger.info({ redis: describeRedisTarget(redisSpec!) }, 'redis connected: rate limits are shared by every instance');
    else options.logger.warn({ failClosed: redisSpec!.failClosed }, redisSpec!.failClosed
      ? 'redis unreachable: refusing rate-limited requests (failClosed) until it is back'
      : 'redis unreachable: enforcing local limits on this instance until it is back');
  });

  const unavailable = () => new GatewayError('overloaded', 'rate limits cannot be checked right now', { retryAfter: 1, reason: 'redis_unavailable' });

  function refuse(policy: Policy, take: Take, variants: Variant[]): GatewayError {
    policy.stats.limited++;
    return new GatewayError('rate_limited', `rate limit "${policy.name}" exceeded`, {
      retryAfter: seconds(take.retryMs), reason: policy.kind === 'client' ? 'client_rate' : 'route_rate',
      headers: { 'ratelimit-policy': policyHeader(variants), ratelimit: `"${policy.name}";r=0;t=${seconds(take.resetMs)}` },
    });
  }

  function finish(route: Route, variants: Variant[], takes: Take[]): Admission | Promise<Admission> {
    const headers: Record<string, string> = {};
    if (takes.length > 0) {
      let tightest = 0; // report the policy closest to its limit
      for (let i = 1; i < takes.length; i++) if (takes[i]!.remaining < takes[tightest]!.remaining) tightest = i;
      const take = takes[tightest]!;
      headers['ratelimit-policy'] = policyHeader(variants);
      headers.ratelimit = `"${route.policies[tightest]!.name}";r=${take.remaining};t=${seconds(take.resetMs)}`;
    }
    for (const p of route.policies) p.stats.admitted++;
    if (!route.gate) return { headers, release: NOOP };
    const entered = route.gate.enter();
    return entered instanceof Promise ? entered.then((release) => ({ headers, release })) : { headers, release: entered };
  }

  function admitLocal(route: Route, subject: Subject, fallback: boolean): Admission | Promise<Admission> {
    const variants: Variant[] = [];
    const takes: Take[] = [];
    for (let i = 0; i < route.policies.length; i++) {
      const policy = route.policies[i]!;
      const v = policy.variantOf(subject);
      variants.push(v);
      if (fallback) policy.stats.fallback++;
      const take = route.locals[i]!.take(policy.keyOf(subject), v.gcra);
      if (!take.allowed) throw refuse(policy, take, variants.concat(route.policies.slice(i + 1).map((p) => p.variantOf(subject))));
      takes.push(take);
    }
    return finish(route, variants, takes);
  }

  async function admitShared(route: Route, subject: Subject): Promise<Admission> {
    const variants = route.policies.map((p) => p.variantOf(subject));
    let takes: Take[];
    try {
      // issued in one tick: auto-pipelining sends them in one write, one round trip
      takes = await Promise.all(route.policies.map((p, i) => shared!.take(
        p.kind === 'client' ? `${redisSpec!.prefix}:${route.name}:c:${p.keyOf(subject)}` : `${redisSpec!.prefix}:${route.name}:r`, variants[i]!.gcra)));
    } catch {
      if (redisSpec!.failClosed) throw unavailable();
      return admitLocal(route, subject, true);
    }
    for (let i = 0; i < takes.length; i++) if (!takes[i]!.allowed) throw refuse(route.policies[i]!, takes[i]!, variants);
    return finish(route, variants, takes);
  }

  const throttle = {
    /** admits one request to a route, or throws 429 (rate_limited) / 503 (overloaded) */
    admit(routeName: string, subject: Subject): Admission | Promise<Admission> {
      const route = routes.get(routeName);
      if (!route) return { headers: {}, release: NOOP };
      if (route.policies.length === 0) return finish(route, [], []);
      if (redis) {
        if (sharedNow === true && redis.connection.connected) return admitShared(route, subject);
        if (redisSpec!.failClosed) { for (const p of route.policies) p.stats.fallback++; throw unavailable(); }
        return admitLocal(route, subject, true);
      }
      return admitLocal(route, subject, false);
    },
    get sharedLimits() { return sharedNow === true; },
    /** admitted / limited / fallback per route and rule, since the first configuration */
    get ruleStats(): Iterable<RuleStats> { return stats.values(); },
    get inFlight() { let n = 0; for (const r of routes.values()) n += r.gate?.inFlight ?? 0; return n; },
    get queued() { let n = 0; for (const r of routes.values()) n += r.gate?.queued ?? 0; return n; },
    /** the shared Redis connection, for other users of Redis in this process */
    get redis() { return redis?.connection; },
    [CARRY](): Carried { return { locals, stats, gates, redis }; },
    async close() {
      if (closed) return;
      closed = true;
      unsubscribe?.();
      if (redis && --redis.refs.n <= 0) await redis.connection.close();
    },
  };
  return throttle;
}

export type Throttle = ReturnType<typeof createThrottle>;
