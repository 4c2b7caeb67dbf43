import type { IntrospectionResponse } from 'oauth4webapi';
import { LRUCache } from 'lru-cache';
import { createSingleFlight, tokenHash } from '../cache/index.js';

export interface IntrospectionCacheOptions {
  introspect(token: string): Promise<IntrospectionResponse>;
  maxEntries: number;
  maxTtlSeconds: number;
  inactiveMaxEntries: number;
  inactiveTtlSeconds: number;
  now?: () => number;
}

export type CacheOutcome = 'hit' | 'miss' | 'shared';

export interface CachedIntrospection {
  hash: string;
  result: IntrospectionResponse;
  outcome: CacheOutcome;
}

export interface IntrospectionCache {
  /** synchronous on a cache hit (the hot path allocates no promise), a promise otherwise */
  lookup(token: string): CachedIntrospection | Promise<CachedIntrospection>;
  /** drop one token's entry (by hash), e.g. after revocation */
  forget(hash: string): void;
  readonly stats: { hits: number; misses: number; shared: number; calls: number };
  readonly size: number;
}

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * Introspection results keyed by the token's SHA-256 (never the token), kept
 * for min(maxTtl, exp − now). Inactive answers go to a second, smaller cache
 * with a short TTL, so a flood of junk tokens cannot evict good entries.
 * Concurrent lookups for one uncached token share one introspection call.
 * Failures (503) are not cached.
 */
export function createIntrospectionCache(options: IntrospectionCacheOptions): IntrospectionCache {
  const now = options.now ?? Date.now;
  const active = new LRUCache<string, IntrospectionResponse>({ max: options.maxEntries });
  const inactive = options.inactiveTtlSeconds > 0
    ? new LRUCache<string, true>({ max: options.inactiveMaxEntries, ttl: options.inactiveTtlSeconds * 1000 })
    : undefined;
  const flights = createSingleFlight<IntrospectionResponse>();
  const stats = { hits: 0, misses: 0, shared: 0, calls: 0 };

  async function fetchAndStore(token: string, hash: string): Promise<IntrospectionResponse> {
    stats.calls++;
    const result = await options.introspect(token);
    const nowSeconds = now() / 1000;
    const lifetime = typeof result.exp === 'number' ? result.exp - nowSeconds : options.maxTtlSeconds;
    if (result.active === true && lifetime > 0) {
      active.set(hash, result, { ttl: Math.min(options.maxTtlSeconds, lifetime) * 1000 });
      return result;
    }
    inactive?.set(hash, true);
    return result.active === true ? result : INACTIVE;
  }

  return {
    stats,
    get size() { return active.size + (inactive?.size ?? 0); },
    forget(hash) { active.delete(hash); inactive?.delete(hash); },
    lookup(token) {
      const hash = tokenHash(token);
      const hit = active.get(hash) ?? (inactive?.has(hash) ? INACTIVE : undefined);
      if (hit) {
        stats.hits++;
        return { hash, result: hit, outcome: 'hit' };
      }
      const flight = flights.run(hash, () => fetchAndStore(token, hash));
      if (flight.shared) stats.shared++;
      else stats.misses++;
      const outcome: CacheOutcome = flight.shared ? 'shared' : 'miss';
      return flight.promise.then((result) => ({ hash, result, outcome }));
    },
  };
}
