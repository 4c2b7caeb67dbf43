import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { createRouteHistogram } from './route-histogram.js';

/**
 * The Prometheus metrics of one gateway process. Hot-path counters
 * (requests, latency) are plain increments once per request when its response
 * closes, handed to prom-client's registry at scrape time;
 * cache and client statistics are read from their owners at scrape time.
 * Label values are bounded: route names, status codes, error codes.
 */
export function createMetrics(program: 'edge' | 'micro') {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  // standard names (process_cpu_user_seconds_total, nodejs_eventloop_lag_seconds, …) so stock Node.js
  // dashboards and alerts find them; the `program` label tells the two programs apart
  collectDefaultMetrics({ register: registry });
  // hot-path updates are plain increments, folded into the registry at scrape time
  interface Count { route: string; status: string; count: number; reported: number }
  const requestCounts = new Map<string, Map<number, Count>>();
  new Counter({
    name: 'phantom_requests_total', help: 'Requests answered, by route and status', labelNames: ['route', 'status'], registers: [registry],
    collect() {
      for (const byStatus of requestCounts.values()) {
        for (const c of byStatus.values()) if (c.count > c.reported) { this.inc({ route: c.route, status: c.status }, c.count - c.reported); c.reported = c.count; }
      }
    },
  });
  const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const duration = createRouteHistogram(registry, { name: 'phantom_request_duration_seconds', help: 'Time from request to the end of the response, by route', buckets });
  const upstream = createRouteHistogram(registry, { name: 'phantom_upstream_duration_seconds', help: 'Time from forwarding to the upstream response headers, by route', buckets });
  const refusals = new Counter({ name: 'phantom_refusals_total', help: 'Requests refused or failed, by error code and reason', labelNames: ['code', 'reason'], registers: [registry] });

  /** a cumulative count owned elsewhere (a stats object), exposed as a counter at scrape time */
  function counterFrom(name: string, help: string, read: () => number): void {
    let seen = 0;
    new Counter({
      name, help, registers: [registry],
      collect() { const now = read(); if (now > seen) { this.inc(now - seen); seen = now; } },
    });
  }
  function gaugeFrom(name: string, help: string, read: () => number): void {
    new Gauge({ name, help, registers: [registry], collect() { this.set(read()); } });
  }

  return {
    registry,
    counterFrom,
    gaugeFrom,
    /** one finished request */
    observe(route: string | undefined, status: number, seconds: number, code: string | undefined, reason: string | undefined, upstreamSeconds?: number): void {
      const r = route ?? 'none';
      let byStatus = requestCounts.get(r);
      if (!byStatus) requestCounts.set(r, byStatus = new Map());
      let counter = byStatus.get(status);
      if (!counter) byStatus.set(status, counter = { route: r, status: String(status), count: 0, reported: 0 });
      counter.count++;
      duration.observe(r, seconds);
      if (upstreamSeconds !== undefined) upstream.observe(r, upstreamSeconds);
      if (code) refusals.inc({ code, reason: reason ?? 'none' });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
