import type { DecisionCache } from './decision-cache.js';

/** Counters of every policy check of one app, read by the metrics at scrape time. */
export interface PolicyStats {
  /** PDP decisions applied (cached or not) */
  decisions: number;
  denials: number;
  /** PDP calls made, failed, and the seconds they took in total */
  calls: number;
  failures: number;
  seconds: number;
  caches: DecisionCache[];
}

export function createPolicyStats(): PolicyStats {
  return { decisions: 0, denials: 0, calls: 0, failures: 0, seconds: 0, caches: [] };
}

interface MetricsSink {
  counterFrom(name: string, help: string, read: () => number): void;
  gaugeFrom(name: string, help: string, read: () => number): void;
}

/** Exposes the stats; one stats object lives as long as the process (an app built on reload reuses it). */
export function registerPolicyMetrics(metrics: MetricsSink, stats: PolicyStats): void {
  const current = () => stats;
  const sum = (pick: (c: DecisionCache) => number) => () => current().caches.reduce((n, c) => n + pick(c), 0);
  metrics.counterFrom('phantom_policy_decisions_total', 'PDP decisions applied (cached or not)', () => current().decisions);
  metrics.counterFrom('phantom_policy_denials_total', 'Requests the PDP denied', () => current().denials);
  metrics.counterFrom('phantom_policy_pdp_calls_total', 'Evaluation requests sent to a PDP', () => current().calls);
  metrics.counterFrom('phantom_policy_pdp_failures_total', 'PDP calls that failed (unreachable, timeout, status, garbage)', () => current().failures);
  metrics.counterFrom('phantom_policy_pdp_seconds_total', 'Seconds spent waiting for PDP answers', () => current().seconds);
  metrics.counterFrom('phantom_policy_cache_hits_total', 'Decisions served from the decision cache', sum((c) => c.stats.hits));
  metrics.counterFrom('phantom_policy_cache_shared_total', 'Requests that joined a PDP call already in flight', sum((c) => c.stats.shared));
  metrics.gaugeFrom('phantom_policy_cache_entries', 'Entries in the decision caches', sum((c) => c.size));
}
