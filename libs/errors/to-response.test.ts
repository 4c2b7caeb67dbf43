import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CODES, GatewayError, toErrorResponse } from './index.js';

test('a missing token gets a bare Bearer challenge (RFC 6750 §3.1)', () => {
  const r = toErrorResponse(new GatewayError('unauthorized'), 'edge');
  assert.equal(r.status, 401);
  assert.equal(r.headers['www-authenticate'], 'Bearer realm="edge"');
  assert.deepEqual(JSON.parse(r.body), { error: 'unauthorized', error_description: 'a Bearer access token is required' });
});

test('insufficient_scope carries the scope attribute; quotes are escaped', () => {
  const r = toErrorResponse(new GatewayError('insufficient_scope', 'needs "x"', { scope: 'orders:read orders:write' }), 'my "realm"');
  assert.equal(r.status, 403);
  assert.equal(r.headers['www-authenticate'],
    'Bearer realm="my \\"realm\\"", error="insufficient_scope", error_description="needs \\"x\\"", scope="orders:read orders:write"');
});

test('503 carries Retry-After, and non-bearer errors no WWW-Authenticate', () => {
  const r = toErrorResponse(new GatewayError('authorization_server_unavailable', undefined, { retryAfter: 2.2 }), 'edge');
  assert.equal(r.status, 503);
  assert.equal(r.headers['retry-after'], '3');
  assert.equal(r.headers['www-authenticate'], undefined);
});

test('unknown errors become a plain 500 that reveals nothing', () => {
  const r = toErrorResponse(new Error('secret internals at /etc/passwd'), 'edge');
  assert.equal(r.status, 500);
  assert.ok(!r.body.includes('passwd'));
});

test('every code has a status and is documented in the README error table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  for (const [code, spec] of Object.entries(CODES)) {
    assert.ok(spec.status >= 400 && spec.status < 600, code);
    assert.ok(readme.includes('`' + code + '`'), `README documents ${code}`);
  }
});
