import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTarget } from './canonical-target.js';
import { GatewayError } from '../errors/index.js';

/** `path|query|key` for an accepted target, `!reason` for a refused one */
function outcome(url: string): string {
  try {
    const t = canonicalTarget(url);
    return `${t.path}|${t.query}|${t.key}`;
  } catch (e) {
    assert.ok(e instanceof GatewayError, String(e));
    assert.equal(e.code, 'bad_request');
    assert.equal(e.status, 400);
    return `!${e.reason}`;
  }
}

const TABLE: [string, string][] = [
  // nothing to normalise (the fast path)
  ['/', '/||/'],
  ['/orders/42', '/orders/42||/orders/42'],
  ['/orders/42?x=1&y=%2F', '/orders/42|?x=1&y=%2F|/orders/42'],
  ["/a-b_c~d!$&'()*+,=:@/", "/a-b_c~d!$&'()*+,=:@/||/a-b_c~d!$&'()*+,=:@/"],
  ['/orders/a.b/..x', '/orders/a.b/..x||/orders/a.b/..x'],
  // RFC 3986 §6.2.2: unreserved decoded, the rest in upper-case hex
  ['/orders/%61dmin/secret', '/orders/admin/secret||/orders/admin/secret'],
  ['/%7e%2D%5f%2e%41', '/~-_.A||/~-_.A'],
  ['/a%3fb%23c', '/a%3Fb%23c||/a?b#c'],
  ['/caf%c3%a9', '/caf%C3%A9||/café'],
  ['/%e2%82%ac', '/%E2%82%AC||/€'],
  ['/a%20b', '/a%20b||/a b'],
  // refusals, one reason each
  ['http://evil.example/orders', '!target_form'],
  ['*', '!target_form'],
  ['orders', '!target_form'],
  ['//evil.example/x', '!target_form'],
  ['', '!target_form'],
  ['/a%2fb', '!encoded_separator'],
  ['/a%2Fb', '!encoded_separator'],
  ['/a%5cb', '!encoded_separator'],
  ['/a\\b', '!backslash'],
  ['/a%00b', '!encoded_control'],
  ['/a%0d%0ab', '!encoded_control'],
  ['/a%7f', '!encoded_control'],
  ['/a%zz', '!bad_escape'],
  ['/a%4', '!bad_escape'],
  ['/a%', '!bad_escape'],
  ['/%c0%ae%c0%ae/admin', '!invalid_utf8'],
  ['/%c0%af', '!invalid_utf8'],
  ['/%e0%80%ae', '!invalid_utf8'],
  ['/%ed%a0%80', '!invalid_utf8'],
  ['/%ff', '!invalid_utf8'],
  ['/%c3', '!invalid_utf8'],
  ['/orders/../admin', '!dot_segment'],
  ['/orders/./admin', '!dot_segment'],
  ['/orders/..', '!dot_segment'],
  ['/orders/%2e%2e/admin', '!dot_segment'],
  ['/orders/.%2E/admin', '!dot_segment'],
  ['/orders/..;/admin', '!dot_segment'],
  ['/orders/..;x=1/admin', '!dot_segment'],
  ['/orders/%252e%252e/admin', '!double_encoding'],
  ['/orders/%2561dmin', '!double_encoding'],
  ['/orders/%25%36%31dmin', '!double_encoding'],
  ['/orders/admin.', '!trailing_dot_or_space'],
  ['/orders/admin./x', '!trailing_dot_or_space'],
  ['/orders/admin%20', '!trailing_dot_or_space'],
  ['/orders/...', '!trailing_dot_or_space'],
  ['/orders/%3b/x', '!encoded_semicolon'],
  ['/orders/%C5%BFecret', '!ascii_lookalike'],
  ['/orders/%E2%84%AA', '!ascii_lookalike'],
  ['/orders/%EF%BC%8Fadmin', '!ascii_lookalike'],
  ['/orders/%C2%A0', '!ascii_lookalike'],
  ['/orders/a b', '!path_character'],
  ['/orders/<x>', '!path_character'],
  ['/orders/\u00e9', '!path_character'],
  ['/orders/x#frag', '!fragment'],
  ['/orders?a=b c', '!query_character'],
  ['/orders?a=\u0001', '!query_character'],
  ['/orders?a=\u00e9', '!query_character'],
  ['/orders?a#b', '!query_character'],
];

test('canonicalTarget: each input → its canonical form or its refusal reason', () => {
  for (const [url, expected] of TABLE) assert.equal(outcome(url), expected, JSON.stringify(url));
});

test('canonicalTarget: ";" parameters and repeated slashes are flagged and left out of the key, kept in the path', () => {
  const p = canonicalTarget('/orders;jsessionid=A%2d1/admin;v=1');
  assert.deepEqual([p.path, p.key, p.params, p.slashes], ['/orders;jsessionid=A-1/admin;v=1', '/orders/admin', true, false]);
  const s = canonicalTarget('/orders//admin///x/');
  assert.deepEqual([s.path, s.key, s.params, s.slashes], ['/orders//admin///x/', '/orders/admin/x/', false, true]);
});

test('canonicalTarget: the folded key is the key in lower case; the forwarded path keeps the case', () => {
  const t = canonicalTarget('/Orders/ADMIN?Q=1');
  assert.deepEqual([t.path, t.query, t.key, t.folded], ['/Orders/ADMIN', '?Q=1', '/Orders/ADMIN', '/orders/admin']);
  const e = canonicalTarget('/Orders/%C3%89');
  assert.equal(e.folded, '/orders/é');
});

test('canonicalTarget is idempotent: the canonical form of a canonical path is itself', () => {
  for (const [url, expected] of TABLE) {
    if (expected.startsWith('!')) continue;
    const once = canonicalTarget(url);
    const twice = canonicalTarget(once.path + once.query);
    assert.deepEqual([twice.path, twice.query, twice.key], [once.path, once.query, once.key], url);
  }
});
