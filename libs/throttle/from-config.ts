import type { RateRule } from './gcra.js';
import type { RateLimitSpec } from './compile-policy.js';
import type { RouteThrottle } from './create-throttle.js';
import type { KeyPart } from './rate-key.js';
import { describeRedisTarget, type RedisTarget } from './redis-connection.js';

/** A rate as configured (`per` already in milliseconds). */
export interface ConfiguredRate { limit: number; per: number; burst?: number | undefined }
export interface ConfiguredRateLimit {
  perClient?: (ConfiguredRate & { key: readonly string[]; tiers?: { claim: string; limits: Readonly<Record<string, ConfiguredRate>> } | undefined }) | undefined;
  perRoute?: ConfiguredRate | undefined;
}
export interface ConfiguredRoute {
  name: string;
  rateLimit?: ConfiguredRateLimit | undefined;
  concurrency?: { max: number; queue: number; maxWait: number } | undefined;
}

const rule = (r: ConfiguredRate): RateRule => ({ limit: r.limit, windowMs: r.per, burst: r.burst });

/** One route's throttle from its configuration. */
export function routeThrottleOf(route: ConfiguredRoute): RouteThrottle {
  const c = route.rateLimit?.perClient;
  const perClient: RateLimitSpec | undefined = c && {
    ...rule(c), key: c.key as KeyPart[],
    tiers: c.tiers && { claim: c.tiers.claim, limits: Object.fromEntries(Object.entries(c.tiers.limits).map(([k, v]) => [k, rule(v)])) },
  };
  return {
    perClient,
    perRoute: route.rateLimit?.perRoute && rule(route.rateLimit.perRoute),
    concurrency: route.concurrency && { max: route.concurrency.max, queue: route.concurrency.queue, maxWaitMs: route.concurrency.maxWait },
  };
}

const duration = (ms: number) => (ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : ms % 60_000 === 0 ? `${ms / 60_000}m` : ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);
const rate = (r: ConfiguredRate) => `${r.limit}/${duration(r.per)} burst ${r.burst ?? r.limit}`;

/** The effective limits, one line per route, for `--check` (no credentials). */
export function describeLimits(routes: readonly ConfiguredRoute[], store: { redis?: (RedisTarget & { failClosed: boolean }) | undefined; maxClients: number }): string[] {
  const lines = routes.map((r) => {
    const parts: string[] = [];
    const c = r.rateLimit?.perClient;
    if (c) {
      let text = `per client (${c.key.join('+')}) ${rate(c)}`;
      if (c.tiers) text += `, by claim ${c.tiers.claim}: ${[...Object.entries(c.tiers.limits).map(([k, v]) => `${k} ${rate(v)}`), `other ${rate(c)}`].join(', ')}`;
      parts.push(text);
    }
    if (r.rateLimit?.perRoute) parts.push(`per route ${rate(r.rateLimit.perRoute)}`);
    if (r.concurrency) parts.push(`concurrency ${r.concurrency.max} (queue ${r.concurrency.queue}, wait ${duration(r.concurrency.maxWait)})`);
    return `  route ${r.name}: ${parts.length ? parts.join('; ') : 'no limits'}`;
  });
  const where = store.redis
    ? `shared through Redis (${describeRedisTarget(store.redis)}); if unreachable: ${store.redis.failClosed ? '503 (failClosed)' : 'local limits per instance'}`
    : `local to each instance (at most ${store.maxClients} clients tracked)`;
  return [`rate limits (GCRA), ${where}:`, ...lines];
}
