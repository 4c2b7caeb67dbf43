import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, microConfigSchema, parseConfig } from './index.js';

const micro = (patch: Record<string, unknown>) => ({
  audience: 'orders', jwks: { url: 'http://edge/.well-known/jwks.json' }, verification: { issuer: 'http://edge' }, backend: 'http://backend',
  routes: [{ name: 'orders', pathPrefix: '/orders' }], ...patch,
});
function problems(doc: unknown): readonly string[] {
  assert.throws(() => parseConfig('micro.yaml', doc, microConfigSchema), ConfigError);
  try { parseConfig('micro.yaml', doc, microConfigSchema); } catch (err) { return (err as ConfigError).problems; }
  return assert.fail('expected a ConfigError');
}

test('rate limits: defaults (key [client], burst = limit, maxWait 5 s) and a full perClient rule with tiers', () => {
  const config = parseConfig('micro.yaml', micro({ routes: [{ name: 'orders', pathPrefix: '/orders',
    rateLimit: { perClient: { limit: 10, per: '1m', key: ['claim:org', 'peer'], tiers: { claim: 'tier', limits: { gold: { limit: 100, per: '1m', burst: 5 } } } }, perRoute: { limit: 5, per: 1 } },
    concurrency: { max: 2 } }] }), microConfigSchema);
  const route = config.routes[0]!;
  assert.deepEqual(route.rateLimit?.perClient?.key, ['claim:org', 'peer']);
  assert.deepEqual(route.rateLimit?.perClient?.tiers?.limits.gold, { limit: 100, per: 60_000, burst: 5 });
  assert.deepEqual(route.rateLimit?.perRoute, { limit: 5, per: 1000 });
  assert.equal(route.concurrency?.maxWait, 5000);
  const plain = parseConfig('micro.yaml', micro({ routes: [{ name: 'o', pathPrefix: '/', rateLimit: { perClient: { limit: 1, per: '1s' } } }] }), microConfigSchema);
  assert.deepEqual(plain.routes[0]!.rateLimit?.perClient?.key, ['client']);
});

test('rate limits: a bad key part, a zero window and an ambiguous Redis target are each named by their field', () => {
  assert.ok(problems(micro({ routes: [{ name: 'o', pathPrefix: '/', rateLimit: { perClient: { limit: 1, per: '1s', key: ['ip'] } } }] }))
    .some((p) => p.includes('routes[0].rateLimit.perClient.key[0]') && p.includes('claim:<name>')));
  assert.ok(problems(micro({ routes: [{ name: 'o', pathPrefix: '/', rateLimit: { perRoute: { limit: 1, per: '0s' } } }] }))
    .some((p) => p.includes('routes[0].rateLimit.perRoute.per') && p.includes('longer than 0')));
  for (const redis of [{}, { url: 'redis://a:6379', cluster: { nodes: ['redis://b:6379'] } }]) {
    assert.ok(problems(micro({ throttle: { redis } })).some((p) => p.includes('throttle.redis') && p.includes('exactly one of url, sentinel and cluster')), JSON.stringify(redis));
  }
  assert.ok(problems(micro({ throttle: { redis: { sentinel: { name: 'm', nodes: ['sentinel'] } } } })).some((p) => p.includes('throttle.redis.sentinel.nodes[0]')));
});
