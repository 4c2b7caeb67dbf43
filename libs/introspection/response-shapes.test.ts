import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntrospectionResponse } from 'oauth4webapi';
import { acceptToken, MalformedIntrospectionError, normalizeIntrospection, type ResponseTolerance } from './index.js';

/** Answers as servers send them (recorded shapes, values shortened). */
const RECORDED = {
  /** oidc-provider 8.8.1, client credentials */
  oidcProvider: { active: true, client_id: 'demo-app', exp: 2000, iat: 1000, iss: 'https://as', scope: 'orders:read', token_type: 'Bearer' },
  /** a client-credentials token without iss or sub (several RFC 7662 servers) */
  noIssNoSub: { active: true, client_id: 'svc', exp: 2000, scope: 'orders:read', token_type: 'bearer' },
  /** aud as one space-joined string */
  spaceJoinedAud: { active: true, exp: 2000, aud: 'urn:edge urn:other', scope: 'a' },
  /** aud as an array (Keycloak: ["account", "edge"]) */
  arrayAud: { active: true, exp: 2000, aud: ['account', 'urn:edge'], scope: 'a', token_type: 'Bearer', iss: 'https://as', sub: 'u1' },
  /** scope as a JSON array */
  arrayScope: { active: true, exp: 2000, scope: ['orders:read', 'orders:write'] },
  /** exp as a numeric string */
  stringExp: { active: true, exp: '2000', scope: 'a' },
  /** an inactive answer that still carries claims */
  inactiveWithClaims: { active: false, scope: 'orders:admin', exp: 9999 },
} as const satisfies Record<string, Record<string, unknown>>;

const STRICT: ResponseTolerance = { scopeArray: false, spaceSeparatedAudience: false };
const asResponse = (r: object) => r as unknown as IntrospectionResponse;
const refusedFor = (reason: string) => (e: unknown) => e instanceof MalformedIntrospectionError && e.reason === reason;

test('oidc-provider\'s answer passes unchanged (same object: no copy on the common path)', () => {
  const r = asResponse(RECORDED.oidcProvider);
  assert.equal(normalizeIntrospection(r, STRICT), r);
  acceptToken(r, { issuer: 'https://as' }, 1500);
});

test('no iss and no sub, token_type "bearer" in lower case: accepted', () => {
  const r = normalizeIntrospection(asResponse(RECORDED.noIssNoSub), STRICT);
  assert.doesNotThrow(() => acceptToken(r, { issuer: 'https://as' }, 1500));
  assert.doesNotThrow(() => acceptToken({ ...r, token_type: 'BEARER' }, { issuer: 'https://as' }, 1500));
});

test('aud as an array matches requiredAudience; a space-joined aud matches only with spaceSeparatedAudience', () => {
  const rules = { issuer: 'https://as', requiredAudience: 'urn:edge' };
  assert.doesNotThrow(() => acceptToken(normalizeIntrospection(asResponse(RECORDED.arrayAud), STRICT), rules, 1500));
  const strict = normalizeIntrospection(asResponse(RECORDED.spaceJoinedAud), STRICT);
  assert.equal(strict.aud, 'urn:edge urn:other', 'kept as one audience by default');
  assert.throws(() => acceptToken(strict, rules, 1500), /not meant for this gateway/);
  const split = normalizeIntrospection(asResponse(RECORDED.spaceJoinedAud), { ...STRICT, spaceSeparatedAudience: true });
  assert.deepEqual(split.aud, ['urn:edge', 'urn:other']);
  assert.doesNotThrow(() => acceptToken(split, rules, 1500));
});

test('scope as an array: refused by default, joined with spaces with scopeArray', () => {
  assert.throws(() => normalizeIntrospection(asResponse(RECORDED.arrayScope), STRICT), refusedFor('introspection_bad_scope'));
  assert.equal(normalizeIntrospection(asResponse(RECORDED.arrayScope), { ...STRICT, scopeArray: true }).scope, 'orders:read orders:write');
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, scope: ['a b'] }), { ...STRICT, scopeArray: true }), refusedFor('introspection_bad_scope'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, scope: 7 }), STRICT), refusedFor('introspection_bad_scope'));
});

test('exp, iat or nbf as a numeric string is refused; so are non-string iss, sub and token_type', () => {
  assert.throws(() => normalizeIntrospection(asResponse(RECORDED.stringExp), STRICT), refusedFor('introspection_bad_exp'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, nbf: '1' }), STRICT), refusedFor('introspection_bad_nbf'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, iat: null }), STRICT), refusedFor('introspection_bad_iat'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, iss: 1 }), STRICT), refusedFor('introspection_bad_iss'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, sub: ['u'] }), STRICT), refusedFor('introspection_bad_sub'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, token_type: true }), STRICT), refusedFor('introspection_bad_token_type'));
  assert.throws(() => normalizeIntrospection(asResponse({ active: true, aud: [1] }), STRICT), refusedFor('introspection_bad_aud'));
});

test('an inactive answer becomes { active: false }, whatever it carried', () => {
  assert.deepEqual(normalizeIntrospection(asResponse(RECORDED.inactiveWithClaims), STRICT), { active: false });
});

test('claims nest up to 32 levels; deeper is refused (introspection_bad_depth), including the depth JSON.stringify cannot write back', () => {
  const nested = (levels: number) => JSON.parse(`{"active":true,"scope":"a","x":${'['.repeat(levels)}${']'.repeat(levels)}}`) as IntrospectionResponse;
  assert.equal(normalizeIntrospection(nested(32), STRICT).active, true);
  for (const levels of [33, 5000]) {
    assert.throws(() => normalizeIntrospection(nested(levels), STRICT), refusedFor('introspection_bad_depth'), String(levels));
  }
  assert.throws(() => JSON.stringify(nested(5000)), RangeError, 'the depth refused is one the edge could not cache or mint from');
  assert.deepEqual(normalizeIntrospection({ ...nested(5000), active: false }, STRICT), { active: false }, 'an inactive answer is not walked');
});
