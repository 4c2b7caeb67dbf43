import { LRUCache } from 'lru-cache';

export interface RateRule {
  /** requests admitted per window */
  limit: number;
  windowMs: number;
}

export interface Take {
  allowed: boolean;
  /** requests left in this window after this one */
  remaining: number;
  /** milliseconds until the window resets */
  resetMs: number;
}

/**
 * Fixed windows aligned to the epoch (every instance agrees on where a window
 * starts, and the reset time is exact), counted synchronously in memory.
 * Keys (clients) live in a bounded LRU: memory stays flat with millions of
 * clients; an evicted key starts a fresh count.
 */
export function createWindowCounters(rule: RateRule, options: { maxKeys: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const counts = new LRUCache<string, { window: number; count: number }>({ max: options.maxKeys });
  return {
    get size() { return counts.size; },
    take(key: string): Take {
      const t = now();
      const window = Math.floor(t / rule.windowMs);
      const resetMs = (window + 1) * rule.windowMs - t;
      let entry = counts.get(key);
      if (!entry || entry.window !== window) {
        entry = { window, count: 0 };
        counts.set(key, entry);
      }
      if (entry.count >= rule.limit) return { allowed: false, remaining: 0, resetMs };
      entry.count++;
      return { allowed: true, remaining: rule.limit - entry.count, resetMs };
    },
  };
}
