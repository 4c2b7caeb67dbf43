import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBearer, headerValues } from './parse-bearer.js';
import { GatewayError } from '../errors/index.js';

function codeOf(fn: () => unknown): string {
  try { fn(); } catch (err) { assert.ok(err instanceof GatewayError); return err.code; }
  return 'ok';
}

test('accepts one well-formed bearer token, scheme case-insensitive', () => {
  assert.equal(parseBearer(['Bearer abc.DEF-_~+/=']), 'abc.DEF-_~+/=');
  assert.equal(parseBearer(['bearer xyz']), 'xyz');
  assert.equal(parseBearer(['BEARER   xyz']), 'xyz');
});

test('no header or another scheme is a 401 challenge without error attribute', () => {
  assert.equal(codeOf(() => parseBearer([])), 'unauthorized');
  assert.equal(codeOf(() => parseBearer(['Basic dXNlcjpwYXNz'])), 'unauthorized');
  assert.equal(codeOf(() => parseBearer(['Bearerxyz'])), 'unauthorized');
  assert.equal(codeOf(() => parseBearer(['DPoP xyz'])), 'unauthorized');
});

test('malformed bearer headers are 400 invalid_request', () => {
  for (const value of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer ab=c', 'Bearer a"b', 'Bearer é', 'Bearer =abc']) {
    assert.equal(codeOf(() => parseBearer([value])), 'invalid_request', value);
  }
  assert.equal(codeOf(() => parseBearer(['Bearer a', 'Bearer b'])), 'invalid_request');
  assert.equal(codeOf(() => parseBearer(['Bearer ' + 'a'.repeat(5000)], 4096)), 'invalid_request');
});

test('headerValues keeps duplicates and ignores case', () => {
  assert.deepEqual(headerValues(['Host', 'x', 'authorization', 'a', 'AUTHORIZATION', 'b'], 'authorization'), ['a', 'b']);
  assert.deepEqual(headerValues(['Host', 'x'], 'authorization'), []);
});
