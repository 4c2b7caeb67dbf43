import type { Logger } from 'pino';
import type { MicroConfig } from '../../../libs/config/index.js';
import { createThrottle, type RouteThrottle, type Throttle } from '../../../libs/throttle/index.js';

/**
 * The throttle for one configuration: each route's rate limits and concurrency gate, Redis if configured.
 * On a reload, `previous` hands over the state of the routes whose rules did not change.
 */
export function buildThrottle(config: MicroConfig, logger: Logger, previous?: Throttle): Throttle {
  return createThrottle({
    routes: Object.fromEntries(config.routes.map((r): [string, RouteThrottle] => [r.name, {
      perClient: r.rateLimit?.perClient && { limit: r.rateLimit.perClient.limit, windowMs: r.rateLimit.perClient.per },
      perRoute: r.rateLimit?.perRoute && { limit: r.rateLimit.perRoute.limit, windowMs: r.rateLimit.perRoute.per },
      concurrency: r.concurrency && { max: r.concurrency.max, queue: r.concurrency.queue, maxWaitMs: r.concurrency.maxWait },
    }])),
    maxClients: config.throttle.maxClients,
    redis: config.throttle.redis && { ...config.throttle.redis, prefix: `phantom:${config.audience}` },
    logger,
    previous,
  });
}
