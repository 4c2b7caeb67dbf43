import { LRUCache } from 'lru-cache';
import { createSingleFlight } from '../cache/index.js';
import type { Decision } from './evaluation.js';

export interface DecisionCacheOptions {
  /** 0 disables caching (single-flight still applies) */
  ttlMs: number;
  maxEntries: number;
}

export interface DecisionCacheStats { hits: number; misses: number; shared: number }

/**
 * Decisions by evaluated tuple, bounded (LRU) with a TTL. A hit is returned
 * without a promise; identical concurrent misses share one PDP call; failures
 * are never cached.
 */
export function createDecisionCache(options: DecisionCacheOptions) {
  const cache = options.ttlMs > 0 ? new LRUCache<string, Decision>({ max: options.maxEntries, ttl: options.ttlMs, ttlAutopurge: false }) : undefined;
  const flights = createSingleFlight<Decision>();
  const stats: DecisionCacheStats = { hits: 0, misses: 0, shared: 0 };
  return {
    stats,
    get size() { return cache?.size ?? 0; },
    /** the cached decision, or one (shared) evaluation */
    get(key: string, evaluate: () => Promise<Decision>): Decision | Promise<Decision> {
      const hit = cache?.get(key);
      if (hit) { stats.hits++; return hit; }
      const { promise, shared } = flights.run(key, () => evaluate().then((d) => { cache?.set(key, d); return d; }));
      if (shared) stats.shared++; else stats.misses++;
      return promise;
    },
  };
}

export type DecisionCache = ReturnType<typeof createDecisionCache>;
