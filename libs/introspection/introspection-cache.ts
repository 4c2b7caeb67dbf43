import type { IntrospectionResponse } from 'oauth4webapi';
import { LRUCache } from 'lru-cache';
import { createSingleFlight, tokenHash } from '../cache/index.js';
import { createCompactLru } from '../cache/compact-lru.js';
import { isGatewayError } from '../errors/index.js';
import type { SharedAnswer, SharedIntrospectionCache } from './shared-introspection-cache.js';

export interface IntrospectionCacheOptions {
  introspect(token: string): Promise<IntrospectionResponse>;
  maxEntries: number;
  maxTtlSeconds: number;
  inactiveMaxEntries: number;
  inactiveTtlSeconds: number;
  /**
   * After an active entry's TTL, it may still serve this long — but only
   * while the AS is unreachable (503). 0 (the default) turns this off.
   */
  serveStaleSeconds?: number;
  /** caps the calls made for tokens the cache does not know (per peer, and in flight) */
  guard?: { admit(peer: string): () => void };
  /** an L2 shared by every instance (Redis), asked only on a miss here: a warm hit never leaves the process */
  shared?: Pick<SharedIntrospectionCache, 'resolve'> | undefined;
  now?: () => number;
}

/** what the route asks of a lookup */
export interface LookupOptions {
  /** jwtAccessTokens.introspect per-route: this route introspects locally valid JWT access tokens too */
  introspectJwt?: boolean | undefined;
}

export type CacheOutcome = 'hit' | 'miss' | 'shared' | 'stale';

export interface CachedIntrospection {
  hash: string;
  result: IntrospectionResponse;
  outcome: CacheOutcome;
}

export interface IntrospectionCache {
  /** synchronous on a cache hit (the hot path allocates no promise), a promise otherwise */
  lookup(token: string, peer?: string, options?: LookupOptions): CachedIntrospection | Promise<CachedIntrospection>;
  readonly stats: { hits: number; misses: number; shared: number; calls: number; stale: number };
  readonly size: number;
}

interface Entry { result: IntrospectionResponse; freshUntil: number }

const INACTIVE: IntrospectionResponse = Object.freeze({ active: false });

/**
 * Introspection results keyed by the token's SHA-256 (never the token), fresh
 * for min(maxTtl, exp − now). Inactive answers go to a second, smaller cache
 * with a short TTL, so a flood of junk tokens cannot evict good entries.
 * Concurrent lookups for one uncached token share one introspection call.
 * Failures (503) are never cached.
 */
export function createIntrospectionCache(options: IntrospectionCacheOptions): IntrospectionCache {
  const now = options.now ?? Date.now;
  const staleMs = (options.serveStaleSeconds ?? 0) * 1000;
  const active = new LRUCache<string, Entry>({ max: options.maxEntries });
  // inactive answers: token hash → the time they expire, in a compact LRU (no object per entry: a flood of junk
  // tokens churns this cache, and an lru-cache kept each hash string alive long enough to die in the old generation)
  const inactiveMs = options.inactiveTtlSeconds * 1000;
  const inactive = inactiveMs > 0 ? createCompactLru(options.inactiveMaxEntries) : undefined;
  const isInactive = (hash: string) => { const until = inactive?.get(hash); return until !== undefined && now() < until; };
  const flights = createSingleFlight<IntrospectionResponse>();
  const stats = { hits: 0, misses: 0, shared: 0, calls: 0, stale: 0 };

  async function fetchAndStore(token: string, hash: string): Promise<IntrospectionResponse> {
    const call = () => { stats.calls++; return options.introspect(token); };
    // from the shared cache, an answer stays fresh here no longer than there (the revocation window holds)
    const answer: SharedAnswer = options.shared ? await options.shared.resolve(hash, call) : { result: await call() };
    const { result } = answer;
    const sharedMs = answer.freshMs ?? Infinity;
    const nowMs = now();
    const lifetimeMs = typeof result.exp === 'number' ? result.exp * 1000 - nowMs : options.maxTtlSeconds * 1000;
    if (result.active === true && lifetimeMs > 0) {
      const freshMs = Math.min(options.maxTtlSeconds * 1000, lifetimeMs, sharedMs);
      active.set(hash, { result, freshUntil: nowMs + freshMs }, { ttl: freshMs + Math.min(staleMs, lifetimeMs - freshMs) });
      inactive?.delete(hash);
      return result;
    }
    active.delete(hash);
    inactive?.set(hash, nowMs + inactiveMs);
    return result.active === true ? result : INACTIVE;
  }

  return {
    stats,
    get size() { return active.size + (inactive?.size ?? 0); },
    lookup(token, peer = '') {
      const hash = tokenHash(token);
      const entry = active.get(hash);
      if (entry && now() < entry.freshUntil) {
        stats.hits++;
        return { hash, result: entry.result, outcome: 'hit' };
      }
      if (!entry && isInactive(hash)) {
        stats.hits++;
        return { hash, result: INACTIVE, outcome: 'hit' };
      }
      const { guard } = options;
      // only a new call is guarded (a refusal is thrown here, synchronously); callers sharing one are not
      const flight = flights.run(hash, guard
        ? () => { const release = guard.admit(peer); return fetchAndStore(token, hash).finally(release); }
        : () => fetchAndStore(token, hash));
      if (flight.shared) stats.shared++;
      else stats.misses++;
      const outcome: CacheOutcome = flight.shared ? 'shared' : 'miss';
      return flight.promise.then(
        (result) => ({ hash, result, outcome }),
        (err: unknown) => {
          // an entry past its freshness serves on only while the AS cannot answer
          if (entry && now() < entry.freshUntil + staleMs && isGatewayError(err) && err.code === 'authorization_server_unavailable') {
            stats.stale++;
            return { hash, result: entry.result, outcome: 'stale' as const };
          }
          throw err;
        },
      );
    },
  };
}
