import { GatewayError } from '../errors/index.js';
import type { Release } from './concurrency-gate.js';

/**
 * At most `max` requests in flight per key (a client_id, else a peer
 * address), so one client cannot hold every upstream socket: one more → 429
 * with Retry-After. Entering is synchronous; a release is idempotent. Only
 * keys with requests in flight are kept.
 */
export function createInFlightLimit(max: number) {
  const counts = new Map<string, number>();
  function leave(key: string): void {
    const n = counts.get(key)! - 1;
    if (n === 0) counts.delete(key); else counts.set(key, n);
  }
  return {
    get clients() { return counts.size; },
    enter(key: string): Release {
      const n = counts.get(key) ?? 0;
      if (n >= max) {
        throw new GatewayError('rate_limited', `at most ${max} requests in flight per client`, { retryAfter: 1, reason: 'client_in_flight' });
      }
      counts.set(key, n + 1);
      let released = false;
      return () => { if (!released) { released = true; leave(key); } };
    },
  };
}
