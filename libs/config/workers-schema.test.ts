import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, edgeConfigSchema, microConfigSchema, parseConfig } from './index.js';

const edge = (patch: Record<string, unknown>) => ({
  issuer: 'http://edge', authorizationServer: { issuer: 'http://as', clientId: 'edge', clientSecret: 's' }, audiences: { orders: {} },
  routes: [{ name: 'orders', pathPrefix: '/orders', upstream: 'http://micro', audience: 'orders' }], ...patch,
});
const micro = (patch: Record<string, unknown>) => ({
  audience: 'orders', jwks: { url: 'http://edge/.well-known/jwks.json' }, verification: { issuer: 'http://edge' }, backend: 'http://backend',
  routes: [{ name: 'orders', pathPrefix: '/orders' }], ...patch,
});
function problems(file: string, doc: unknown, schema: typeof edgeConfigSchema | typeof microConfigSchema): readonly string[] {
  const err = (() => { try { parseConfig(file, doc, schema as typeof microConfigSchema); } catch (e) { return e; } return undefined; })();
  assert.ok(err instanceof ConfigError, 'expected a ConfigError');
  return err.problems;
}

test('server.workers: default 1, auto or a number; more than 1 needs Redis for revocations and, at the edge, signing key files', () => {
  assert.equal(parseConfig('micro.yaml', micro({}), microConfigSchema).server.workers, 1);
  assert.equal(parseConfig('micro.yaml', micro({ server: { workers: 'auto' } }), microConfigSchema).server.workers, 'auto');
  assert.ok(problems('micro.yaml', micro({ server: { workers: 0 } }), microConfigSchema).some((p) => p.includes('server.workers')));
  const revocation = { adminToken: '0123456789abcdef0123' };
  assert.ok(problems('micro.yaml', micro({ server: { workers: 2 }, revocation }), microConfigSchema)
    .some((p) => p.includes('revocation.redis') && p.includes('required with server.workers other than 1')));
  assert.equal(parseConfig('micro.yaml', micro({ server: { workers: 2 }, revocation: { ...revocation, redis: { url: 'redis://r:6379' } } }), microConfigSchema).server.workers, 2);
  assert.ok(problems('edge.yaml', edge({ development: true, keys: { generate: true }, server: { workers: 'auto' } }), edgeConfigSchema)
    .some((p) => p.includes('keys.generate') && p.includes('each worker would sign with a key of its own')));
});
