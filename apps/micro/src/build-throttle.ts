import type { Logger } from 'pino';
import type { MicroConfig } from '../../../libs/config/index.js';
import { createThrottle, describeLimits, routeThrottleOf, type Throttle } from '../../../libs/throttle/index.js';

/**
 * The throttle for one configuration: each route's rate limits and concurrency
 * gate, Redis if configured. Given the running throttle (a reload), it keeps
 * that one's buckets, counters and Redis connection.
 */
export function buildThrottle(config: MicroConfig, logger: Logger, previous?: Throttle): Throttle {
  return createThrottle({
    routes: Object.fromEntries(config.routes.map((r) => [r.name, routeThrottleOf(r)])),
    maxClients: config.throttle.maxClients,
    redis: config.throttle.redis && { ...config.throttle.redis, prefix: `phantom:${config.audience}` },
    logger,
  }, previous);
}

/** What `--check` prints about limits. */
export function describeThrottle(config: MicroConfig): string {
  return describeLimits(config.routes, config.throttle).join('\n') + '\n';
}
