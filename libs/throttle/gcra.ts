import { createCompactLru } from '../cache/compact-lru.js';

export interface RateRule {
  /** requests admitted per window, on average */
  limit: number;
  windowMs: number;
  /** most requests admitted at once (the bucket's depth); defaults to `limit` */
  burst?: number | undefined;
}

export interface Take {
  allowed: boolean;
  /** requests that could still be admitted right now, after this one */
  remaining: number;
  /** milliseconds until the whole quota is available again */
  resetMs: number;
  /** for a refusal: milliseconds until one more request would be admitted (0 when allowed) */
  retryMs: number;
}

/** GCRA parameters of a rule: the emission interval and the burst tolerance, in milliseconds. */
export interface Gcra { interval: number; tolerance: number }

/** floating-point slack: a TAT stored in Redis is rounded to the microsecond */
const SLACK = 0.001;

export function gcraOf(rule: RateRule): Gcra {
  const interval = rule.windowMs / rule.limit;
  return { interval, tolerance: (rule.burst ?? rule.limit) * interval };
}

/**
 * One step of the generic cell rate algorithm (a token bucket kept as one
 * number per key, the theoretical arrival time `tat`): admits while the
 * backlog `tat − now` stays within the burst tolerance. Any span of time Δ
 * admits at most `burst + limit·Δ/window` requests, wherever windows start.
 * Returns the new TAT to store when allowed.
 */
export function gcraStep(g: Gcra, stored: number | undefined, now: number): { take: Take; tat: number } {
  const tat = stored === undefined || stored < now ? now : stored;
  const next = tat + g.interval;
  if (next - now > g.tolerance + SLACK) {
    return { take: { allowed: false, remaining: 0, resetMs: tat - now, retryMs: next - g.tolerance - now }, tat };
  }
  return { take: { allowed: true, remaining: Math.floor((g.tolerance - (next - now)) / g.interval + 1e-6), resetMs: next - now, retryMs: 0 }, tat: next };
}

/**
 * In-memory GCRA limiter for one rule: one number per key in a bounded LRU
 * (memory stays flat with millions of keys; an evicted key starts with a full
 * bucket). The store is libs/cache's compact LRU: 24 bytes a key in typed
 * arrays, no object per key (an `lru-cache` of strings and boxed numbers grew
 * the limiter's RSS by ~110 MiB of garbage over 1 000 000 clients). Synchronous. A rule may differ per call (claim tiers): the TAT is
 * a time, valid under any rate.
 */
export function createLocalLimiter(options: { maxKeys: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const tats = createCompactLru(options.maxKeys);
  return {
    get size() { return tats.size; },
    take(key: string, g: Gcra): Take {
      const t = now();
      const step = gcraStep(g, tats.get(key), t);
      if (step.take.allowed) tats.set(key, step.tat);
      return step.take;
    },
  };
}

export type LocalLimiter = ReturnType<typeof createLocalLimiter>;
