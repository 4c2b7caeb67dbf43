import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTarget, createRouteTable, normaliseHost, requireScopes, scopeSet, stripPrefix } from './index.js';
import { GatewayError } from '../errors/index.js';

const codeOf = (fn: () => unknown) => { try { fn(); return 'ok'; } catch (e) { assert.ok(e instanceof GatewayError); return e.code; } };
const reasonOf = (fn: () => unknown) => { try { fn(); return 'ok'; } catch (e) { assert.ok(e instanceof GatewayError); return `${e.code}:${e.reason}`; } };
const t = (url: string) => canonicalTarget(url);

test('longest prefix wins, at segment boundaries only', () => {
  const table = createRouteTable([
    { name: 'orders', pathPrefix: '/orders' },
    { name: 'admin', pathPrefix: '/orders/admin' },
    { name: 'root', pathPrefix: '/' },
  ]);
  assert.equal(table.match(undefined, t('/orders/1'), 'GET').name, 'orders');
  assert.equal(table.match(undefined, t('/orders'), 'GET').name, 'orders');
  assert.equal(table.match(undefined, t('/orders?x=1'), 'GET').name, 'orders');
  assert.equal(table.match(undefined, t('/orders/admin/x'), 'GET').name, 'admin');
  assert.equal(table.match(undefined, t('/ordersX'), 'GET').name, 'root');
});

test('the decoded, case-folded path picks the stricter route', () => {
  const table = createRouteTable([
    { name: 'orders', pathPrefix: '/orders' },
    { name: 'admin', pathPrefix: '/orders/admin' },
    { name: 'exact', pathPrefix: '/Exact', caseSensitive: true },
  ]);
  for (const url of ['/orders/%61dmin/secret', '/orders/ADMIN/secret', '/Orders/Admin', '/orders/%41dmin']) {
    assert.equal(table.match(undefined, t(url), 'GET').name, 'admin', url);
  }
  assert.equal(table.match(undefined, t('/Exact/1'), 'GET').name, 'exact');
  assert.equal(codeOf(() => table.match(undefined, t('/exact/1'), 'GET')), 'not_found');
});

test('";" parameters and repeated slashes are refused unless the route allows them, and then matched without them', () => {
  const strict = createRouteTable([{ name: 'orders', pathPrefix: '/orders' }, { name: 'admin', pathPrefix: '/orders/admin' }]);
  assert.equal(reasonOf(() => strict.match(undefined, t('/orders;x=1/1'), 'GET')), 'bad_request:matrix_params');
  assert.equal(reasonOf(() => strict.match(undefined, t('/orders//1'), 'GET')), 'bad_request:repeated_slashes');
  const lenient = createRouteTable([
    { name: 'orders', pathPrefix: '/orders', matrixParams: true, repeatedSlashes: true },
    { name: 'admin', pathPrefix: '/orders/admin' },
  ]);
  assert.equal(lenient.match(undefined, t('/orders;jsessionid=1/1'), 'GET').name, 'orders');
  assert.equal(lenient.match(undefined, t('/orders//1'), 'GET').name, 'orders');
  // the admin route does not allow them: refused, never served by the lenient one
  assert.equal(reasonOf(() => lenient.match(undefined, t('/orders/admin;x/1'), 'GET')), 'bad_request:matrix_params');
  assert.equal(reasonOf(() => lenient.match(undefined, t('/orders//admin'), 'GET')), 'bad_request:repeated_slashes');
});

test('no match is 404; a method mismatch is 405 with Allow', () => {
  const table = createRouteTable([{ name: 'r', pathPrefix: '/orders', methods: ['GET', 'POST'] }]);
  assert.equal(codeOf(() => table.match(undefined, t('/inventory'), 'GET')), 'not_found');
  assert.throws(() => table.match(undefined, t('/orders/1'), 'DELETE'), (e: unknown) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.status, 405);
    assert.equal(e.headers?.allow, 'GET, POST');
    return true;
  });
  assert.equal(table.match(undefined, t('/orders'), 'HEAD').name, 'r');
});

test('host-specific routes win over host-less ones with the same prefix; hosts compare normalised', () => {
  const table = createRouteTable([
    { name: 'any', pathPrefix: '/api' },
    { name: 'a', host: 'A.example', pathPrefix: '/api' },
  ]);
  assert.equal(table.match(normaliseHost(['A.example:8080'], false), t('/api/x'), 'GET').name, 'a');
  assert.equal(table.match(normaliseHost(['a.example.'], false), t('/api/x'), 'GET').name, 'a');
  assert.equal(table.match(normaliseHost(['b.example'], false), t('/api/x'), 'GET').name, 'any');
});

test('normaliseHost: lower case, one trailing dot and the default port dropped; malformed hosts refused', () => {
  const cases: [string[], boolean, string | undefined][] = [
    [['Admin.Example.'], false, 'admin.example'],
    [['admin.example:80'], false, 'admin.example'],
    [['admin.example.:443'], true, 'admin.example'],
    [['admin.example:8443'], true, 'admin.example:8443'],
    [['[::1]:8080'], false, '[::1]:8080'],
    [['127.0.0.1'], false, '127.0.0.1'],
    [[], false, undefined],
    [[''], false, undefined],
  ];
  for (const [values, secure, expected] of cases) assert.equal(normaliseHost(values, secure), expected, values.join('|'));
  const refused: [string[], string][] = [
    [['a.example', 'b.example'], 'several_hosts'],
    [['user@admin.example'], 'malformed_host'],
    [['a.example,b.example'], 'malformed_host'],
    [['a.example b'], 'malformed_host'],
    [['a.example..'], 'malformed_host'],
    [['a.example:99999'], 'malformed_host'],
    [['a.example:'], 'malformed_host'],
    [['a%2eexample'], 'malformed_host'],
    [['a.example/x'], 'malformed_host'],
  ];
  for (const [values, reason] of refused) assert.equal(reasonOf(() => normaliseHost(values, false)), `bad_request:${reason}`, values.join('|'));
});

test('scope rules: all, any, none', () => {
  const granted = scopeSet('orders:read inventory:read');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:read'], scopeMode: 'all' })), 'ok');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:read', 'orders:write'], scopeMode: 'all' })), 'insufficient_scope');
  assert.equal(codeOf(() => requireScopes(granted, { scopes: ['orders:write', 'orders:read'], scopeMode: 'any' })), 'ok');
  assert.equal(codeOf(() => requireScopes(new Set(), { scopes: [], scopeMode: 'all' })), 'ok');
  assert.throws(() => requireScopes(granted, { scopes: ['orders:write'], scopeMode: 'all' }), (e: unknown) => {
    assert.ok(e instanceof GatewayError);
    assert.equal(e.scope, 'orders:write');
    return true;
  });
});

test('stripPrefix removes the matched segments, keeps the query, never starts with //', () => {
  assert.equal(stripPrefix('/orders/1', '/orders', '?x=2'), '/1?x=2');
  assert.equal(stripPrefix('/orders', '/orders'), '/');
  assert.equal(stripPrefix('/orders', '/orders', '?x'), '/?x');
  assert.equal(stripPrefix('/api/v1/x', '/api/'), '/v1/x');
  assert.equal(stripPrefix('/ORDERS/1', '/orders'), '/1');
  assert.equal(stripPrefix('/raw//evil.example/x', '/raw'), '/evil.example/x');
  assert.equal(stripPrefix('/raw///evil.example', '/raw'), '/evil.example');
  assert.equal(stripPrefix('/a//b/c', '/a/b'), '/c');
  assert.equal(stripPrefix('/orders;s=1/1', '/orders'), '/1');
  assert.equal(stripPrefix('/x/y', '/'), '/x/y');
});
