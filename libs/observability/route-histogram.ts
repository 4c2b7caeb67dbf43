import type { Metric, Registry } from 'prom-client';

export interface RouteHistogram {
  observe(route: string, value: number): void;
}

interface Series { counts: Float64Array; sum: number; count: number }

/**
 * A Prometheus histogram labelled by route whose `observe` is an array
 * increment; prom-client's registry formats it at scrape time (through the
 * `get()` every registered metric has). prom-client's own `observe` validates
 * and hashes its label object on every call: with the request counter it
 * measured about a tenth of a gateway hop.
 */
export function createRouteHistogram(registry: Registry, options: { name: string; help: string; buckets: readonly number[] }): RouteHistogram {
  const { name, help, buckets } = options;
  const series = new Map<string, Series>();
  const metric = {
    name, help, type: 'histogram', aggregator: 'sum',
    reset() { series.clear(); },
    async get() {
      const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
      for (const [route, s] of series) {
        let cumulative = 0;
        buckets.forEach((le, i) => { cumulative += s.counts[i]!; values.push({ metricName: `${name}_bucket`, labels: { route, le }, value: cumulative }); });
        values.push(
          { metricName: `${name}_bucket`, labels: { route, le: '+Inf' }, value: s.count },
          { metricName: `${name}_sum`, labels: { route }, value: s.sum },
          { metricName: `${name}_count`, labels: { route }, value: s.count },
        );
      }
      return { name, help, type: 'histogram', aggregator: 'sum', values };
    },
  };
  registry.registerMetric(metric as unknown as Metric);
  return {
    observe(route, value) {
      let s = series.get(route);
      if (!s) series.set(route, s = { counts: new Float64Array(buckets.length), sum: 0, count: 0 });
      let i = 0;
      while (i < buckets.length && value > buckets[i]!) i++;
      if (i < buckets.length) s.counts[i]!++;
      s.sum += value;
      s.count++;
    },
  };
}
