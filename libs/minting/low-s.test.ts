import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { createMinter } from './index.js';
import { loadSigningKeys } from '../keys/index.js';
import { randomBytes } from 'node:crypto';
import { isHighS, toLowS, toLowSInPlace } from '../verification/index.js';

const facts = { active: true, client_id: 'app', scope: 'orders:read', exp: 2_000_000_000 };

test('the edge mints ES256 JWTs in low-s form only (40 signatures, about half would be high-s otherwise); each still verifies', async () => {
  const keys = await loadSigningKeys({ configFile: 'x.yaml', keys: [], generate: true, algorithm: 'ES256' });
  const minter = createMinter({ keys, issuer: 'https://edge', ttlSeconds: 60, audiences: { orders: { scopes: ['orders:read'] } }, passThroughClaims: [], maxEntries: 100 });
  const jwks = createLocalJWKSet(keys.jwks());
  const jwts = await Promise.all(Array.from({ length: 40 }, async (_, i) => (await minter.mint(`hash-${i}`, facts, 'orders')).jwt));
  assert.deepEqual(jwts.filter((jwt) => isHighS('ES256', jwt.slice(jwt.lastIndexOf('.') + 1))), []);
  for (const jwt of jwts) assert.equal((await jwtVerify(jwt, jwks, { issuer: 'https://edge', audience: 'orders' })).payload.scope, 'orders:read');
});

test('toLowS leaves a low-s signature and other algorithms untouched, and maps high s to n − s', () => {
  const n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;
  const r = Buffer.alloc(32, 1);
  const sig = (s: bigint) => Buffer.concat([r, Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]).toString('base64url');
  const high = `h.p.${sig(n - 5n)}`;
  assert.equal(isHighS('ES256', sig(n - 5n)), true);
  assert.equal(toLowS('ES256', high), `h.p.${sig(5n)}`);
  assert.equal(toLowS('ES256', `h.p.${sig(5n)}`), `h.p.${sig(5n)}`);
  assert.equal(toLowS('EdDSA', high), high);
  assert.equal(isHighS('RS256', sig(n - 5n)), false);
});

test('the byte arithmetic agrees with BigInt: s > n/2 exactly from half + 1, n − s for random and edge values of s', () => {
  const n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551n;
  const alg = 'ES256'; const size = 32;
  const hex = (x: bigint) => x.toString(16).padStart(size * 2, '0');
  const signature = (s: bigint) => Buffer.concat([Buffer.alloc(size, 7), Buffer.from(hex(s), 'hex')]);
  const random = Array.from({ length: 500 }, () => BigInt(`0x${randomBytes(size).toString('hex')}`) % n);
  for (const s of [0n, 1n, n / 2n, n / 2n + 1n, n - 1n, n - 2n, ...random]) {
    const high = s > n / 2n;
    assert.equal(isHighS(alg, signature(s).toString('base64url')), high, `${alg} isHighS ${hex(s)}`);
    const out = toLowSInPlace(alg, signature(s));
    assert.equal(out.subarray(size).toString('hex'), hex(high ? n - s : s), `${alg} toLowSInPlace ${hex(s)}`);
    assert.deepEqual(out.subarray(0, size), Buffer.alloc(size, 7), `${alg} r untouched`);
  }
  assert.equal(toLowSInPlace('EdDSA', Buffer.alloc(64, 0xff)).toString('hex'), 'ff'.repeat(64));
  assert.equal(isHighS('ES512', Buffer.alloc(132, 0xff).toString('base64url')), false, 'only ES256 is signed here: another alg is the allow-list\'s to refuse');
  assert.equal(toLowSInPlace('ES256', Buffer.alloc(63, 0xff)).toString('hex'), 'ff'.repeat(63), 'a signature of the wrong length is left as it is');
});
