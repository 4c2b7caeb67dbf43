import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jwtVerify, decodeProtectedHeader, createLocalJWKSet } from 'jose';
import { buildClaims, createMinter } from './index.js';
import { loadSigningKeys } from '../keys/index.js';

const facts = { active: true, client_id: 'app', scope: 'orders:read orders:write inventory:read', exp: 2_000_000_000, tenant: 'acme', iss: 'https://as' };

test('claims: least privilege, exp capped by the opaque token, sub falls back to client_id', () => {
  const claims = buildClaims({
    facts, issuer: 'https://edge', audience: 'orders', audienceScopes: new Set(['orders:read', 'orders:write']),
    ttlSeconds: 60, nowSeconds: 1_999_999_990, jti: 'j', passThroughClaims: ['tenant', 'iss', 'missing'],
  });
  assert.equal(claims.scope, 'orders:read orders:write');
  assert.equal(claims.exp, 2_000_000_000, 'never past the opaque token exp');
  assert.equal(claims.sub, 'app');
  assert.equal(claims.iss, 'https://edge', 'pass-through cannot override reserved claims');
  assert.equal(claims.tenant, 'acme');
  assert.equal('missing' in claims, false);
  const normal = buildClaims({ facts: { ...facts, sub: 'alice' }, issuer: 'https://edge', audience: 'inventory', audienceScopes: new Set(['inventory:read']),
    ttlSeconds: 60, nowSeconds: 1000, jti: 'j', passThroughClaims: [] });
  assert.equal(normal.exp, 1060);
  assert.equal(normal.sub, 'alice');
  assert.equal(normal.scope, 'inventory:read');
});

for (const algorithm of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) {
  test(`minted ${algorithm} JWTs verify against the published JWKS with typ at+jwt and kid`, async () => {
    const keys = await loadSigningKeys({ configFile: 'x.yaml', keys: [], generate: true, algorithm });
    const minter = createMinter({ keys, issuer: 'https://edge', ttlSeconds: 60, audiences: { orders: { scopes: ['orders:read'] } }, passThroughClaims: [], maxEntries: 10 });
    const { jwt } = await minter.mint('hash', facts, 'orders');
    const header = decodeProtectedHeader(jwt);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, algorithm);
    assert.equal(header.kid, keys.active.kid);
    const jwks = keys.jwks();
    for (const k of jwks.keys) for (const m of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(m in k, false, `JWKS leaks ${m}`);
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: 'https://edge', audience: 'orders', typ: 'at+jwt' });
    assert.equal(payload.scope, 'orders:read');
  });
}

test('one signature per (token, audience) per lifetime; re-minted under 10 % left; concurrent callers share one', async () => {
  let clock = 1_000_000_000_000;
  const keys = await loadSigningKeys({ configFile: 'x.yaml', keys: [], generate: true, algorithm: 'ES256' });
  const minter = createMinter({ keys, issuer: 'https://edge', ttlSeconds: 60, audiences: { orders: { scopes: [] }, inventory: { scopes: [] } },
    passThroughClaims: [], maxEntries: 100, now: () => clock });
  const f = { ...facts, exp: undefined };
  const concurrent = await Promise.all(Array.from({ length: 20 }, () => minter.mint('t1', f, 'orders')));
  assert.equal(new Set(concurrent.map((r) => r.jwt)).size, 1);
  assert.equal(minter.stats.signatures, 1);
  const hit = minter.mint('t1', f, 'orders');
  assert.ok(!(hit instanceof Promise), 'a cached JWT comes back synchronously');
  assert.equal(hit.jwt, concurrent[0]!.jwt);
  await minter.mint('t1', f, 'inventory');
  await minter.mint('t2', f, 'orders');
  assert.equal(minter.stats.signatures, 3);
  clock += 47_000; // 13 s of 60 left: more than 20 % (no refresh ahead either)
  assert.equal((await minter.mint('t1', f, 'orders')).cached, true);
  assert.equal(minter.stats.signatures, 3);
  clock += 8_000; // 5 s left: under 10 %, the caller waits for a new JWT
  const again = await minter.mint('t1', f, 'orders');
  assert.equal(again.cached, false);
  assert.notEqual(again.jwt, concurrent[0]!.jwt);
  assert.equal(minter.stats.signatures, 4);
});

test('refresh ahead: under 20 % left the cached JWT still serves while one background signature replaces it', async () => {
  let clock = 1_000_000_000_000;
  const keys = await loadSigningKeys({ configFile: 'x.yaml', keys: [], generate: true, algorithm: 'ES256' });
  const minter = createMinter({ keys, issuer: 'https://edge', ttlSeconds: 60, audiences: { orders: { scopes: [] } },
    passThroughClaims: [], maxEntries: 100, now: () => clock });
  const f = { ...facts, exp: undefined };
  const first = await minter.mint('t1', f, 'orders');
  clock += 47_000; // 13 s of 60 left: more than 20 %, no refresh
  const plain = minter.mint('t1', f, 'orders');
  assert.ok(!(plain instanceof Promise));
  assert.equal(minter.stats.signatures, 1);
  clock += 2_000; // 11 s left: under 20 %
  const served = Array.from({ length: 20 }, () => minter.mint('t1', f, 'orders'));
  for (const r of served) {
    assert.ok(!(r instanceof Promise), 'the old JWT is served synchronously during the refresh');
    assert.equal(r.jwt, first.jwt);
  }
  // the background signature lands in the cache: poll until the served JWT changes
  let next = minter.mint('t1', f, 'orders');
  for (let i = 0; i < 200 && !(next instanceof Promise) && next.jwt === first.jwt; i++) {
    await new Promise((r) => setImmediate(r));
    next = minter.mint('t1', f, 'orders');
  }
  assert.ok(!(next instanceof Promise));
  assert.notEqual(next.jwt, first.jwt);
  assert.equal(minter.stats.signatures, 2, 'every caller in the refresh window shared one background signature');
  assert.equal(decodeProtectedHeader(next.jwt).typ, 'at+jwt');
});
