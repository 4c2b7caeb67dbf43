import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The Prometheus metrics of one gateway process. Hot-path counters
 * (requests, latency) are updated once per request when its response closes;
 * cache and client statistics are read from their owners at scrape time.
 * Label values are bounded: route names, status codes, error codes.
 */
export function createMetrics(program: 'edge' | 'micro') {
  const registry = new Registry();
  registry.setDefaultLabels({ program });
  collectDefaultMetrics({ register: registry, prefix: 'phantom_process_' });
  const requests = new Counter({ name: 'phantom_requests_total', help: 'Requests answered, by route and status', labelNames: ['route', 'status'], registers: [registry] });
  const duration = new Histogram({
    name: 'phantom_request_duration_seconds', help: 'Time from request to the end of the response, by route', labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const upstream = new Histogram({
    name: 'phantom_upstream_duration_seconds', help: 'Time from forwarding to the upstream response headers, by route', labelNames: ['route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
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

  // label children resolved once per label set: prom-client hashes a label object on every call otherwise
  const requestChildren = new Map<string, ReturnType<typeof requests.labels>>();
  const durationChildren = new Map<string, ReturnType<typeof duration.labels>>();
  const upstreamChildren = new Map<string, ReturnType<typeof upstream.labels>>();

  return {
    registry,
    counterFrom,
    gaugeFrom,
    /** one finished request */
    observe(route: string | undefined, status: number, seconds: number, code: string | undefined, reason: string | undefined, upstreamSeconds?: number): void {
      const r = route ?? 'none';
      const key = `${r}|${status}`;
      let counter = requestChildren.get(key);
      if (!counter) requestChildren.set(key, counter = requests.labels(r, String(status)));
      counter.inc();
      let histogram = durationChildren.get(r);
      if (!histogram) durationChildren.set(r, histogram = duration.labels(r));
      histogram.observe(seconds);
      if (upstreamSeconds !== undefined) {
        let u = upstreamChildren.get(r);
        if (!u) upstreamChildren.set(r, u = upstream.labels(r));
        u.observe(upstreamSeconds);
      }
      if (code) refusals.inc({ code, reason: reason ?? 'none' });
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
