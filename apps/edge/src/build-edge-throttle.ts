import type { Logger } from 'pino';
import type { EdgeConfig } from '../../../libs/config/index.js';
import { createThrottle, describeLimits, routeThrottleOf, type Throttle } from '../../../libs/throttle/index.js';

/**
 * The edge's per-client and per-route rate limits for one configuration,
 * checked before minting (shared through Redis if configured); given the
 * running throttle (a reload), it keeps its buckets. Unknown tokens are
 * limited per peer before introspection by the introspection miss guard.
 */
export function buildEdgeThrottle(config: EdgeConfig, logger: Logger, previous?: Throttle): Throttle {
  return createThrottle({
    routes: Object.fromEntries(config.routes.map((r) => [r.name, routeThrottleOf(r)])),
    maxClients: config.throttle.maxClients,
    redis: config.throttle.redis && { ...config.throttle.redis, prefix: 'phantom:edge' },
    logger,
  }, previous);
}

/** What `--check` prints about limits. */
export function describeEdgeThrottle(config: EdgeConfig): string {
  const lines = describeLimits(config.routes, config.throttle);
  const u = config.introspection.unknownTokensPerPeer;
  lines.push(`  unknown tokens: per peer ${u.limit}/${u.per / 1000}s introspections, at most ${config.introspection.maxConcurrentCalls} calls in flight (local to each instance)`);
  return lines.join('\n') + '\n';
}
