import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createRouteHistogram } from './route-histogram.js';
import { createMetrics } from './metrics.js';

test('route histogram: cumulative buckets (le inclusive), +Inf, sum and count per route, default labels applied', async () => {
  const registry = new Registry();
  registry.setDefaultLabels({ program: 'edge' });
  const h = createRouteHistogram(registry, { name: 'x_seconds', help: 'test', buckets: [0.1, 1] });
  for (const v of [0.05, 0.1, 0.5, 3]) h.observe('orders', v);
  h.observe('inventory', 0.2);
  const text = await registry.metrics();
  const line = (s: string) => assert.ok(text.split('\n').includes(s), `${s}\n--- in ---\n${text}`);
  line('# TYPE x_seconds histogram');
  line('x_seconds_bucket{route="orders",le="0.1",program="edge"} 2');
  line('x_seconds_bucket{route="orders",le="1",program="edge"} 3');
  line('x_seconds_bucket{route="orders",le="+Inf",program="edge"} 4');
  line('x_seconds_sum{route="orders",program="edge"} 3.65');
  line('x_seconds_count{route="orders",program="edge"} 4');
  line('x_seconds_bucket{route="inventory",le="0.1",program="edge"} 0');
  line('x_seconds_count{route="inventory",program="edge"} 1');
  registry.resetMetrics();
  assert.doesNotMatch(await registry.metrics(), /x_seconds_count/);
});

test('gateway metrics: requests by route and status reach the registry at each scrape, without double counting', async () => {
  const m = createMetrics('micro');
  for (let i = 0; i < 3; i++) m.observe('orders', 200, 0.002, undefined, undefined, 0.001);
  m.observe('orders', 429, 0.0001, 'rate_limited', 'client_rate');
  const first = await m.registry.metrics();
  assert.match(first, /^phantom_requests_total\{route="orders",status="200",program="micro"\} 3$/m);
  assert.match(first, /^phantom_requests_total\{route="orders",status="429",program="micro"\} 1$/m);
  assert.match(first, /^phantom_refusals_total\{code="rate_limited",reason="client_rate",program="micro"\} 1$/m);
  assert.match(first, /^phantom_upstream_duration_seconds_count\{route="orders",program="micro"\} 3$/m);
  assert.match(first, /^phantom_request_duration_seconds_bucket\{route="orders",le="0\.0025",program="micro"\} 4$/m);
  m.observe('orders', 200, 0.002, undefined, undefined, 0.001);
  const second = await m.registry.metrics();
  assert.match(second, /^phantom_requests_total\{route="orders",status="200",program="micro"\} 4$/m);
  assert.match(second, /^phantom_request_duration_seconds_count\{route="orders",program="micro"\} 5$/m);
});
