import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import type { IntrospectionResponse } from 'oauth4webapi';
import { createVerifier } from '../verification/index.js';
import { createJwtAccessTokenLookup, type IntrospectionCache } from './index.js';
import { GatewayError } from '../errors/index.js';

const ISSUER = 'https://as.example';
const AUDIENCE = 'urn:phantom:edge-jwt';

async function setup(introspect: 'always' | 'never' | 'per-route') {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const attacker = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'as-1', alg: 'ES256' };
  const local = createLocalJWKSet({ keys: [jwk] });
  const verifier = createVerifier({
    jwks: { getKey: (header) => local(header) }, issuer: ISSUER, audience: AUDIENCE, algorithms: ['ES256'],
    clockSkewSeconds: 5, maxLifetimeSeconds: 3600, cacheMaxEntries: 1, requireLowS: false, // as the edge builds it: results are cached by the lookup
  });
  const introspected: string[] = [];
  // the opaque-token path is a recording function here: what matters is whether it is asked
  const introspection: IntrospectionCache = {
    stats: { hits: 0, misses: 0, shared: 0, calls: 0, stale: 0 },
    size: 0,
    lookup: (token) => { introspected.push(token); return Promise.resolve({ hash: 'h', result: { active: true, scope: 'from-introspection' } as IntrospectionResponse, outcome: 'miss' as const }); },
  };
  const sign = (claims: Record<string, unknown>, key = privateKey, typ = 'at+jwt') => new SignJWT({ scope: 'orders:read', client_id: 'app', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'as-1', typ }).setIssuer(String(claims.iss ?? ISSUER)).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('10m').setSubject('u1').sign(key);
  const lookup = createJwtAccessTokenLookup({ introspection, verifier: () => verifier, issuer: ISSUER, introspect, maxEntries: 100 });
  return { lookup, introspected, sign, attacker };
}

test('jwtAccessTokens never: an AS JWT is validated locally (no introspection), then served synchronously from the caches', async () => {
  const { lookup, introspected, sign } = await setup('never');
  const token = await sign({});
  const first = await lookup.lookup(token);
  assert.equal(first.outcome, 'miss');
  assert.equal(first.result.active, true);
  assert.equal(first.result.scope, 'orders:read');
  assert.equal(first.result.sub, 'u1');
  assert.notEqual(first.hash, token);
  const again = lookup.lookup(token);
  assert.ok(!(again instanceof Promise), 'a cache hit is synchronous');
  assert.equal(again.outcome, 'hit');
  assert.equal(again.result, first.result, 'the same facts object (scope sets and minted JWTs stay cached by it)');
  const other = await sign({ jti: 'another-token' });
  assert.notEqual(other, token);
  await lookup.lookup(other);
  for (let i = 0; i < 50; i++) await lookup.lookup(`opaque-${i}`);
  const still = lookup.lookup(token);
  assert.ok(!(still instanceof Promise), 'still a synchronous hit after other tokens (kept under its hash by the lookup, not in the verifier)');
  assert.equal(introspected.length, 50);
});

test('jwtAccessTokens: a bad signature or a wrong typ from the AS issuer is 401; foreign JWTs and opaque tokens are introspected', async () => {
  const { lookup, introspected, sign, attacker } = await setup('never');
  const forged = await sign({}, attacker.privateKey);
  await assert.rejects(Promise.resolve(lookup.lookup(forged)), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_token' && e.reason === 'signature');
  const idToken = await sign({}, undefined, 'JWT');
  await assert.rejects(Promise.resolve(lookup.lookup(idToken)), (e: unknown) => e instanceof GatewayError && e.code === 'invalid_token');
  const foreign = await sign({ iss: 'https://other.example' });
  await lookup.lookup(foreign);
  await lookup.lookup('opaque-token-abc');
  assert.deepEqual(introspected, [foreign, 'opaque-token-abc']);
});

test('jwtAccessTokens always: a locally valid JWT is introspected too; an invalid one never reaches the AS', async () => {
  const { lookup, introspected, sign, attacker } = await setup('always');
  const token = await sign({});
  assert.equal((await lookup.lookup(token)).result.scope, 'from-introspection');
  await assert.rejects(Promise.resolve(lookup.lookup(await sign({}, attacker.privateKey))));
  assert.deepEqual(introspected, [token]);
});

test('jwtAccessTokens per-route: introspected only where the route asks (introspectJwt), locally valid elsewhere; invalid JWTs never reach the AS', async () => {
  const { lookup, introspected, sign, attacker } = await setup('per-route');
  const token = await sign({});
  const local = await lookup.lookup(token);
  assert.equal(local.result.scope, 'orders:read', 'local facts');
  const hit = lookup.lookup(token, undefined, { introspectJwt: false });
  assert.ok(!(hit instanceof Promise), 'a local route is a synchronous hit');
  assert.equal(introspected.length, 0);
  assert.equal((await lookup.lookup(token, undefined, { introspectJwt: true })).result.scope, 'from-introspection');
  const fresh = await sign({ jti: 'fresh' });
  assert.equal((await lookup.lookup(fresh, undefined, { introspectJwt: true })).result.scope, 'from-introspection', 'a first sight on a sensitive route: verified, then introspected');
  await assert.rejects(Promise.resolve(lookup.lookup(await sign({}, attacker.privateKey), undefined, { introspectJwt: true })));
  assert.deepEqual(introspected, [token, fresh]);
});
