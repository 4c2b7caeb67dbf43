import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRouteTable, checkRequestPath, requireScopes, scopeSet } from './index.js';
import { GatewayError } from '../errors/index.js';

/** 'ok', or the code of the GatewayError it throws; anything else thrown propagates (and fails the test) */
const codeOf = (fn: () => unknown): string => {
  try { fn(); } catch (e) { if (e instanceof GatewayError) return e.code; throw e; }
  return 'ok';
};

test('longest prefix wins, at segment boundaries only', () => {
  const t = createRouteTable([
    { name: 'orders', pathPrefix: '/orders' },
    { name: 'admin', pathPrefix: '/orders/admin' },
    { name: 'root', pathPrefix: '/' },
  ]);
  assert.equal(t.match(undefined, '/orders/1', 'GET').name, 'orders');
  assert.equal(t.match(undefined, '/orders', 'GET').name, 'orders');
  assert.equal(t.match(undefined, '/orders?x=1', 'GET').name, 'orders');
  assert.equal(t.match(undefined, '/orders/admin/x', 'GET').name, 'admin');
  assert.equal(t.match(undefined, '/ordersX', 'GET').name, 'root');
});

test('no match is 404; a method mismatch is 405 with Allow', () => {
  const t = createRouteTable([{ name: 'r', pathPrefix: '/orders', methods: ['GET', 'POST'] }]);
  assert.equal(codeOf(() => t.match(undefined, '/inventory', 'GET')), 'not_found');
  assert.throws(() => t.match(undefined, '/orders/1', 'DELETE'),
    (e: unknown) => e instanceof GatewayError && e.status === 405 && e.headers?.allow === 'GET, POST');
  assert.equal(t.match(undefined, '/orders', 'HEAD').name, 'r');
});

test('host-specific routes win over host-less ones with the same prefix', () => {
  const t = createRouteTable([
    { name: 'any', pathPrefix: '/api' },
    { name: 'a', host: 'a.example', pathPrefix: '/api' },
  ]);
  assert.equal(t.match('A.example:8080', '/api/x', 'GET').name, 'a');
  assert.equal(t.match('b.example', '/api/x', 'GET').name, 'any');
});

test('unsafe request paths are refused', () => {
  for (const p of ['/orders/../admin', '/orders/%2e%2e/admin', '/a/./b', '/a/%2E/b', '/a%2fb', '/a\\b', 'http://x/a', '//evil/x', '/a/..']) {
    assert.equal(codeOf(() => checkRequestPath(p)), 'bad_request', p);
  }
  for (const p of ['/orders/1', '/orders/a.b', '/orders/..x', '/o?next=/../x', '/']) {
    assert.equal(codeOf(() => checkRequestPath(p)), 'ok', p);
  }
});

test('scope rules: all, any, none', () => {
  const granted = scopeSet('orders:read inventory:read');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:read'], scopeMode: 'all' })), 'ok');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:read', 'orders:write'], scopeMode: 'all' })), 'insufficient_scope');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:write', 'orders:read'], scopeMode: 'any' })), 'ok');
  assert.equal(codeOf(() => requireScopes(new Set(), { scopes: [], scopeMode: 'all' })), 'ok');
  assert.throws(() => requireScopes(granted, { scopes: ['orders:write'], scopeMode: 'all' }),
    (e: unknown) => e instanceof GatewayError && e.scope === 'orders:write');
});

test('stripPrefix keeps the rest of the target, always starting with /', async () => {
  const { stripPrefix } = await import('./index.js');
  assert.equal(stripPrefix('/orders/1?x=2', '/orders'), '/1?x=2');
  assert.equal(stripPrefix('/orders', '/orders'), '/');
  assert.equal(stripPrefix('/orders?x', '/orders'), '/?x');
  assert.equal(stripPrefix('/api/v1/x', '/api/'), '/v1/x');
});
