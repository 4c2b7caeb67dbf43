import type { Logger } from 'pino';
import { GatewayError } from '../errors/index.js';
import { createWindowCounters, type RateRule, type Take } from './window-counter.js';
import { createConcurrencyGate, type ConcurrencyRule, type Release } from './concurrency-gate.js';
import { createClusteredReservoirs } from './clustered-reservoirs.js';

export interface RouteThrottle {
  perClient?: RateRule | undefined;
  perRoute?: RateRule | undefined;
  concurrency?: ConcurrencyRule | undefined;
}

export interface ThrottleOptions {
  routes: Readonly<Record<string, RouteThrottle>>;
  /** most per-client counters kept in memory (LRU) */
  maxClients: number;
  redis?: { url: string; prefix: string; failClosed: boolean; connectTimeoutMs: number; idleTimeoutMs: number } | undefined;
  logger: Logger;
  now?: () => number;
  /**
   * The throttle this one replaces (configuration reload): routes whose rules did not change keep their
   * windows and concurrency gate (with the requests in flight on it), and an unchanged Redis keeps its connection.
   */
  previous?: Throttle | undefined;
}

interface RouteState {
  signature: string;
  policies: Policy[];
  policyHeader: string;
  counters: ReturnType<typeof createWindowCounters>[];
  gate: ReturnType<typeof createConcurrencyGate> | undefined;
}

interface ThrottleState {
  routes: Map<string, RouteState>;
  redisSignature: string;
  clustered: ReturnType<typeof createClusteredReservoirs> | undefined;
  link: { shared: boolean | undefined };
  handedOver: boolean;
}

export interface Throttle {
  /** admits one request to a route for a client, or throws 429 / 503 */
  admit(routeName: string, clientKey: string): Admission | Promise<Admission>;
  readonly sharedLimits: boolean;
  /** requests in flight to the backend and waiting for a slot, over every route */
  readonly inFlight: number;
  readonly queued: number;
  close(): Promise<void>;
  readonly [STATE]: ThrottleState;
}

export interface Admission {
  /** RateLimit-Policy / RateLimit headers for the response: a new object per admission, the caller may add to it */
  headers: Record<string, string>;
  /** frees the concurrency slot; call when the response is over */
  release: Release;
}

interface Policy { name: string; rule: RateRule; perClient: boolean }

const NOOP: Release = () => {};
/** what a throttle hands to the one that replaces it */
const STATE = Symbol('throttle state');

/** `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): `"orders";q=100;w=60`. */
function policyHeader(policies: readonly Policy[]): string {
  return policies.map((p) => `"${p.name}";q=${p.rule.limit};w=${Math.ceil(p.rule.windowMs / 1000)}`).join(', ');
}

/**
 * Per-route throttling for a micro gateway: per-client and per-route rate
 * limits (fixed windows), then a concurrency gate in front of the backend.
 * With Redis, rate limits are shared by every instance (bottleneck
 * reservoirs); while Redis is unreachable the local counters take over
 * (or, with failClosed, requests get 503), and the change is logged once.
 */
export function createThrottle(options: ThrottleOptions): Throttle {
  const now = options.now ?? Date.now;
  const carried = options.previous?.[STATE];
  const routes = new Map(Object.entries(options.routes).map(([route, t]): [string, RouteState] => {
    const signature = JSON.stringify([t, options.maxClients]);
    const kept = carried?.routes.get(route);
    if (kept && kept.signature === signature) return [route, kept];
    const policies: Policy[] = [];
    if (t.perClient) policies.push({ name: `${route}-client`, rule: t.perClient, perClient: true });
    if (t.perRoute) policies.push({ name: route, rule: t.perRoute, perClient: false });
    return [route, {
      signature,
      policies,
      policyHeader: policyHeader(policies),
      counters: policies.map((p) => createWindowCounters(p.rule, { maxKeys: p.perClient ? options.maxClients : 1, now })),
      gate: t.concurrency ? createConcurrencyGate(t.concurrency) : undefined,
    }];
  }));
  const redisSignature = JSON.stringify(options.redis ?? null);
  const keepRedis = carried !== undefined && carried.redisSignature === redisSignature;
  const clustered = keepRedis ? carried.clustered : options.redis ? createClusteredReservoirs(options.redis) : undefined;
  if (keepRedis) carried.handedOver = true;
  const link: ThrottleState['link'] = keepRedis ? carried.link : { shared: undefined }; // unknown until Redis first answers or fails
  if (!keepRedis) clustered?.onStatus((connected: boolean) => {
    if (connected === link.shared) return;
    link.shared = connected;
    if (connected) options.logger.info('redis connected: rate limits are shared by every instance');
    else options.logger.warn({ failClosed: options.redis!.failClosed }, options.redis!.failClosed
      ? 'redis unreachable: refusing rate-limited requests (failClosed) until it is back'
      : 'redis unreachable: enforcing local limits on this instance until it is back');
  });

  const state: ThrottleState = { routes, redisSignature, clustered, link, handedOver: false };

  function refuse(policy: Policy, take: Take, policyValue: string): GatewayError {
    const t = Math.max(1, Math.ceil(take.resetMs / 1000));
    return new GatewayError('rate_limited', `rate limit "${policy.name}" exceeded`, {
      retryAfter: t, reason: policy.perClient ? 'client_rate' : 'route_rate',
      headers: { 'ratelimit-policy': policyValue, ratelimit: `"${policy.name}";r=0;t=${t}` },
    });
  }

  function finish(route: RouteState, takes: Take[]): Admission | Promise<Admission> {
    const headers: Record<string, string> = {};
    if (route.policies.length > 0) {
      // report the policy closest to its limit
      let tightest = 0;
      for (let i = 1; i < takes.length; i++) if (takes[i]!.remaining < takes[tightest]!.remaining) tightest = i;
      const take = takes[tightest]!;
      headers['ratelimit-policy'] = route.policyHeader;
      headers.ratelimit = `"${route.policies[tightest]!.name}";r=${take.remaining};t=${Math.max(1, Math.ceil(take.resetMs / 1000))}`;
    }
    if (!route.gate) return { headers, release: NOOP };
    const entered = route.gate.enter();
    return entered instanceof Promise ? entered.then((release) => ({ headers, release })) : { headers, release: entered };
  }

  async function takeShared(routeName: string, route: RouteState, clientKey: string): Promise<Admission> {
    const takes: Take[] = [];
    for (const policy of route.policies) {
      const id = policy.perClient ? `${routeName}:c:${clientKey}` : `${routeName}:r`;
      let result: Awaited<ReturnType<NonNullable<typeof clustered>['take']>>;
      try {
        result = await clustered!.take(id, policy.rule);
      } catch {
        if (options.redis!.failClosed) throw new GatewayError('overloaded', 'rate limits cannot be checked right now', { retryAfter: 1, reason: 'redis_unavailable' });
        return admitLocal(route, clientKey);
      }
      const resetMs = policy.rule.windowMs; // bottleneck keeps the refresh time in Redis; the window is the upper bound
      const take = { allowed: result.allowed, remaining: result.remaining, resetMs };
      if (!take.allowed) throw refuse(policy, take, route.policyHeader);
      takes.push(take);
    }
    return finish(route, takes);
  }

  function admitLocal(route: RouteState, clientKey: string): Admission | Promise<Admission> {
    const takes: Take[] = [];
    for (let i = 0; i < route.policies.length; i++) {
      const policy = route.policies[i]!;
      const take = route.counters[i]!.take(policy.perClient ? clientKey : '');
      if (!take.allowed) throw refuse(policy, take, route.policyHeader);
      takes.push(take);
    }
    return finish(route, takes);
  }

  return {
    /** admits one request to a route for a client, or throws 429 / 503 */
    admit(routeName: string, clientKey: string): Admission | Promise<Admission> {
      const route = routes.get(routeName);
      if (!route) return { headers: {}, release: NOOP };
      if (clustered && route.policies.length > 0) {
        if (link.shared === true && clustered.connected) return takeShared(routeName, route, clientKey);
        if (options.redis!.failClosed) throw new GatewayError('overloaded', 'rate limits cannot be checked right now', { retryAfter: 1, reason: 'redis_unavailable' });
      }
      return admitLocal(route, clientKey);
    },
    get sharedLimits() { return link.shared === true; },
    /** requests in flight to the backend and waiting for a slot, over every route */
    get inFlight() { let n = 0; for (const r of routes.values()) n += r.gate?.inFlight ?? 0; return n; },
    get queued() { let n = 0; for (const r of routes.values()) n += r.gate?.queued ?? 0; return n; },
    /** closes the Redis connection, unless the throttle that replaced this one took it over */
    close: async () => { if (!state.handedOver) await clustered?.close(); },
    [STATE]: state,
  };
}
