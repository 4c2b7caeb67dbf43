import type { EdgeConfig } from '../../../libs/config/index.js';
import { createSharedIntrospectionCache, type SharedIntrospectionCache } from '../../../libs/introspection/index.js';
import type { Logger, Metrics } from '../../../libs/observability/index.js';
import { createRedisConnection, describeRedisTarget } from '../../../libs/throttle/index.js';

export interface EdgeSharedCache {
  cache: SharedIntrospectionCache;
  /** `introspection.sharedCache.redis.failClosed`: not ready while Redis is unreachable */
  failClosed: boolean;
  /** the /readyz detail */
  describe(): string;
}

/** `introspection.sharedCache`: the Redis L2 and its metrics; undefined when not configured. */
export function buildSharedCache(config: EdgeConfig, logger: Logger, metrics: Metrics): EdgeSharedCache | undefined {
  const shared = config.introspection.sharedCache;
  if (!shared) return undefined;
  const target = describeRedisTarget(shared.redis);
  const cache = createSharedIntrospectionCache({
    connection: createRedisConnection(shared.redis), target, logger,
    keyPrefix: shared.keyPrefix, lockMs: shared.lockMs, waitMs: shared.waitMs,
    maxTtlSeconds: config.introspection.cacheMaxTtlSeconds, inactiveTtlSeconds: config.introspection.inactiveCacheTtlSeconds,
  });
  const { stats } = cache;
  metrics.gaugeFrom('phantom_introspection_shared_cache_up', '1 while the shared introspection cache (Redis) answers; 0: local cache only', () => (cache.up ? 1 : 0));
  metrics.counterFrom('phantom_introspection_shared_hits_total', 'Local misses answered from the shared cache', () => stats.hits);
  metrics.counterFrom('phantom_introspection_shared_joined_total', 'Local misses that waited for another instance\'s introspection', () => stats.joined);
  metrics.counterFrom('phantom_introspection_shared_leads_total', 'Introspections made under the cluster-wide lock, for every instance', () => stats.leads);
  metrics.counterFrom('phantom_introspection_shared_local_total', 'Introspections made without the shared cache (Redis down, or the lock holder too slow)', () => stats.local);
  metrics.counterFrom('phantom_introspection_shared_errors_total', 'Shared cache commands that failed', () => stats.errors);
  return {
    cache, failClosed: shared.redis.failClosed,
    describe: () => (cache.up ? `shared (${target})` : `local only: Redis unreachable (${target})${shared.redis.failClosed ? '; failClosed' : ''}`),
  };
}

/** for `--check`: where introspection results are cached, and what happens without Redis */
export function describeSharedCache(config: EdgeConfig): string {
  const shared = config.introspection.sharedCache;
  if (!shared) return 'introspection cache: per instance (no introspection.sharedCache)\n';
  const down = shared.redis.failClosed ? 'local cache, /readyz not ready (failClosed)' : 'local cache, still ready';
  return `introspection cache: per instance, then shared through Redis (${describeRedisTarget(shared.redis)}), one AS call per new token cluster-wide; Redis unreachable → ${down}\n`;
}
