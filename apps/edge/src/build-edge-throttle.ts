import type { Logger } from 'pino';
import type { EdgeConfig } from '../../../libs/config/index.js';
import { createThrottle, describeLimits, routeThrottleOf, type Subject, type Throttle } from '../../../libs/throttle/index.js';

export const UNKNOWN_TOKENS = '~unknown-tokens';

export interface EdgeThrottle {
  /** per-client and per-route limits of the edge's routes, before minting (shared through Redis if configured) */
  routes: Throttle;
  /** per-peer limit on introspection calls for unknown tokens: local and synchronous, checked before the call */
  unknownTokens: Throttle | undefined;
  close(): Promise<void>;
}

/** The edge's throttles for one configuration; given the running ones (a reload), they keep their buckets. */
export function buildEdgeThrottle(config: EdgeConfig, logger: Logger, previous?: EdgeThrottle): EdgeThrottle {
  const routes = createThrottle({
    routes: Object.fromEntries(config.routes.map((r) => [r.name, routeThrottleOf(r)])),
    maxClients: config.throttle.maxClients,
    redis: config.throttle.redis && { ...config.throttle.redis, prefix: 'phantom:edge' },
    logger,
  }, previous?.routes);
  const u = config.throttle.unknownTokens;
  const unknownTokens = u && createThrottle({
    routes: { [UNKNOWN_TOKENS]: { perClient: { limit: u.limit, windowMs: u.per, burst: u.burst, key: ['peer'], name: 'unknown-tokens' } } },
    maxClients: config.throttle.maxClients, logger,
  }, previous?.unknownTokens);
  return { routes, unknownTokens, close: async () => { await Promise.all([routes.close(), unknownTokens?.close()]); } };
}

/** Throws 429 when this peer has spent its budget of introspections for unknown tokens. */
export function unknownTokenCheck(throttle: Throttle): (peer: string) => void {
  return (peer) => { throttle.admit(UNKNOWN_TOKENS, { claims: {}, peer } satisfies Subject); };
}

/** What `--check` prints about limits. */
export function describeEdgeThrottle(config: EdgeConfig): string {
  const lines = describeLimits(config.routes, config.throttle);
  const u = config.throttle.unknownTokens;
  if (u) lines.push(`  unknown tokens: per peer ${u.limit}/${u.per / 1000}s burst ${u.burst ?? u.limit} introspections (local to each instance)`);
  return lines.join('\n') + '\n';
}
