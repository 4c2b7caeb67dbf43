import { GatewayError } from '../errors/index.js';
import { createConcurrencyGate, createLocalLimiter, gcraOf, type Release } from '../throttle/index.js';

export interface MissGuardOptions {
  /** introspection calls in flight at once */
  maxConcurrent: number;
  /** unknown tokens one peer may present per window */
  perPeer: { limit: number; windowMs: number };
  /** peers tracked (LRU); memory stays bounded */
  maxPeers?: number;
  now?: () => number;
}

export interface MissGuard {
  /** a slot for one introspection call on behalf of `peer`, or a 429/503 GatewayError (thrown) */
  admit(peer: string): Release;
  readonly inFlight: number;
  readonly refused: { rate: number; concurrency: number };
}

/**
 * Protects the Authorization Server from junk tokens: every token the cache
 * does not know costs one introspection call, so those calls are capped —
 * per peer address, a rate of unknown tokens (429), and globally, the calls
 * in flight (503); both with Retry-After. Cached tokens never come here, so
 * valid traffic keeps its latency during a flood of junk tokens.
 */
export function createMissGuard(options: MissGuardOptions): MissGuard {
  // GCRA per peer (the throttle's local limiter): smooth, no window boundary that admits twice the rate
  const limiter = createLocalLimiter({ maxKeys: options.maxPeers ?? 100_000, ...(options.now ? { now: options.now } : {}) });
  const rate = gcraOf(options.perPeer);
  const gate = createConcurrencyGate({ max: options.maxConcurrent, queue: 0, maxWaitMs: 0 });
  const refused = { rate: 0, concurrency: 0 };
  return {
    refused,
    get inFlight() { return gate.inFlight; },
    admit(peer) {
      const take = limiter.take(peer, rate);
      if (!take.allowed) {
        refused.rate++;
        throw new GatewayError('rate_limited', 'too many unknown access tokens from this address, retry later', { retryAfter: Math.max(1, Math.ceil(take.retryMs / 1000)), reason: 'unknown_token_rate' });
      }
      try {
        return gate.enter() as Release; // queue 0: a slot now, or a throw
      } catch {
        refused.concurrency++;
        throw new GatewayError('overloaded', 'too many token checks in progress, retry shortly', { retryAfter: 1, reason: 'introspection_concurrency' });
      }
    },
  };
}
