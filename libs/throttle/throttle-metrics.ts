import { Counter, type Registry } from 'prom-client';
import type { RuleStats } from './compile-policy.js';

/**
 * `phantom_ratelimit_{admitted,limited,fallback}_total{route,rule}` read from
 * the current throttle's counters at scrape time (the hot path only increments
 * plain numbers). `rule` is `client` or `route`; fallback counts admissions
 * decided without Redis while it was configured but unreachable.
 */
export function registerThrottleMetrics(registry: Registry, stats: () => Iterable<RuleStats>): void {
  const fields = [
    ['admitted', 'Requests admitted by a rate limit, by route and rule'],
    ['limited', 'Requests refused by a rate limit (429), by route and rule'],
    ['fallback', 'Rate-limit decisions taken locally (or refused, with failClosed) while Redis was unreachable'],
  ] as const;
  for (const [field, help] of fields) {
    const reported = new Map<string, number>();
    new Counter({
      name: `phantom_ratelimit_${field}_total`, help, labelNames: ['route', 'rule'], registers: [registry],
      collect() {
        for (const s of stats()) {
          const id = `${s.route}|${s.rule}`;
          const seen = reported.get(id) ?? 0;
          if (s[field] > seen) { this.inc({ route: s.route, rule: s.rule }, s[field] - seen); reported.set(id, s[field]); }
        }
      },
    });
  }
}
