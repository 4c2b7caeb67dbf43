import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createNonceSource, normaliseHtu, parseAuthorization } from './index.js';
import { type GatewayError, toErrorResponse } from '../errors/index.js';

test('nonces are good in their time slot and the next, then refused; forged or malformed ones never', () => {
  let t = 1_000_000_000_000;
  const nonces = createNonceSource({ secret: 'a shared secret of the edges', lifetimeSeconds: 300, now: () => t });
  const n = nonces.current();
  assert.equal(nonces.valid(n), true);
  t += 300_000;
  assert.equal(nonces.valid(n), true);
  t += 300_000;
  assert.equal(nonces.valid(n), false);
  const other = createNonceSource({ secret: 'another secret entirely!', lifetimeSeconds: 300, now: () => t });
  assert.equal(nonces.valid(other.current()), false);
  for (const bad of [undefined, 42, '', 'x', `${n}x`]) assert.equal(nonces.valid(bad), false);
});

test('htu comparison ignores query and fragment and normalises the default port and case of the origin', () => {
  assert.equal(normaliseHtu('https://API.example.com:443/orders/1?x=1#f'), 'https://api.example.com/orders/1');
  assert.equal(normaliseHtu('not a url'), undefined);
});

test('Authorization: DPoP scheme only when DPoP is on; refusals carry the DPoP challenge next to Bearer', () => {
  assert.deepEqual(parseAuthorization(['DPoP abc.def'], 4096, 'ES256'), { token: 'abc.def', dpop: true });
  assert.deepEqual(parseAuthorization(['Bearer abc'], 4096, 'ES256'), { token: 'abc', dpop: false });
  assert.throws(() => parseAuthorization(['DPoP abc'], 4096, undefined), (err: GatewayError) => err.code === 'unauthorized' && err.dpopAlgs === undefined);
  assert.throws(() => parseAuthorization([], 4096, 'ES256 EdDSA'), (err: unknown) => {
    const r = toErrorResponse(err, 'edge');
    assert.equal(r.status, 401);
    assert.equal(r.headers['www-authenticate'], 'Bearer realm="edge", DPoP algs="ES256 EdDSA"');
    return true;
  });
  assert.throws(() => parseAuthorization(['DPoP a b'], 4096, 'ES256'), (err: GatewayError) => err.code === 'invalid_request');
});
