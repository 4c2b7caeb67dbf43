import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tokenHash } from '../cache/index.js';
import { createRevocationStore } from './revocation-store.js';
import { mintedJti, tokenHashOfJti, JTI_HASH_CHARS } from './minted-jti.js';
import { revocationsOf, TOKEN_REVOKED } from './set-receiver.js';
import { edgeExposureWindow, edgeRetainSeconds } from './exposure-window.js';
import { edgeConfigSchema } from '../config/index.js';

describe('revocation store', () => {
  it('refuses a revoked token hash and jti outright', () => {
    const store = createRevocationStore({ retainSeconds: 60, maxEntries: 10 });
    store.add({ kind: 'token_sha256', value: 'h1', at: 100 });
    store.add({ kind: 'jti', value: 'j1', at: 100 });
    assert.equal(store.refuses('h1', { iat: 200 }), 'token_sha256');
    assert.equal(store.refuses('h2', { jti: 'j1', iat: 200 }), 'jti');
    assert.equal(store.refuses('h2', { jti: 'j2', iat: 50 }), undefined);
  });

  it('refuses tokens of a revoked sub/client_id issued at or before the revocation, or without iat; later ones pass', () => {
    const store = createRevocationStore({ retainSeconds: 60, maxEntries: 10 });
    store.add({ kind: 'sub', value: 'alice', at: 100 });
    store.add({ kind: 'client_id', value: 'app', at: 100 });
    assert.equal(store.refuses(undefined, { sub: 'alice', iat: 100 }), 'sub');
    assert.equal(store.refuses(undefined, { sub: 'alice' }), 'sub');
    assert.equal(store.refuses(undefined, { sub: 'alice', iat: 101 }), undefined);
    assert.equal(store.refuses(undefined, { client_id: 'app', iat: 99 }), 'client_id');
    assert.equal(store.refuses(undefined, { client_id: 'other', iat: 99 }), undefined);
  });

  it('forgets a revocation after retainSeconds (injected clock) and keeps the later of two times', () => {
    let now = 1_000_000;
    const store = createRevocationStore({ retainSeconds: 10, maxEntries: 10, now: () => now });
    assert.equal(store.add({ kind: 'sub', value: 'bob', at: 100 }), true);
    assert.equal(store.add({ kind: 'sub', value: 'bob', at: 90 }), false, 'an older time changes nothing');
    assert.equal(store.add({ kind: 'sub', value: 'bob', at: 110 }), true);
    assert.equal(store.refuses(undefined, { sub: 'bob', iat: 105 }), 'sub');
    now += 10_001;
    assert.equal(store.refuses(undefined, { sub: 'bob', iat: 105 }), undefined);
  });

  it('is bounded per kind: the oldest revocation goes first', () => {
    const store = createRevocationStore({ retainSeconds: 60, maxEntries: 2 });
    for (const value of ['a', 'b', 'c']) store.add({ kind: 'jti', value, at: 1 });
    assert.deepEqual(['a', 'b', 'c'].map((jti) => store.refuses(undefined, { jti })), [undefined, 'jti', 'jti']);
  });

  it('micro gateways match a revoked token hash against the prefix in a minted jti', () => {
    const store = createRevocationStore({ retainSeconds: 60, maxEntries: 10, tokenHashChars: JTI_HASH_CHARS });
    const hash = tokenHash('opaque-token');
    const jti = mintedJti(hash);
    assert.match(jti, /^[A-Za-z0-9_-]{22}\.[0-9a-f-]{36}$/);
    assert.equal(tokenHashOfJti(jti), hash.slice(0, JTI_HASH_CHARS));
    assert.equal(tokenHashOfJti('0f8fad5b-d9cb-469f-a165-70867728950e'), undefined);
    store.add({ kind: 'token_sha256', value: hash, at: 1 });
    assert.equal(store.refuses(tokenHashOfJti(jti), { jti }), 'token_sha256');
    assert.equal(store.refuses(tokenHashOfJti(mintedJti(tokenHash('other'))), {}), undefined);
  });
});

describe('SET events → revocations', () => {
  const base = { jti: 's', iat: 1000 };
  const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
  it('maps CAEP subjects in RFC 9493 formats (iss_sub, opaque, email) to sub, token-revoked to a token hash', () => {
    assert.deepEqual(revocationsOf({ ...base, sub_id: { format: 'iss_sub', iss: 'x', sub: 'alice' }, events: { [`${CAEP}session-revoked`]: {} } }), [{ kind: 'sub', value: 'alice', at: 1000 }]);
    assert.deepEqual(revocationsOf({ ...base, events: { [`${CAEP}credential-change`]: { subject: { format: 'opaque', id: 'u1' }, event_timestamp: 999 } } }), [{ kind: 'sub', value: 'u1', at: 999 }]);
    assert.deepEqual(revocationsOf({ ...base, sub_id: { format: 'email', email: 'a@example.com' }, events: { [`${CAEP}session-revoked`]: {} } }), [{ kind: 'sub', value: 'a@example.com', at: 1000 }]);
    assert.deepEqual(revocationsOf({ ...base, events: { [TOKEN_REVOKED]: { subject: { subject_type: 'oauth_token', token_identifier_alg: 'plain', token: 't' } } } }), [{ kind: 'token_sha256', value: tokenHash('t'), at: 1000 }]);
    assert.deepEqual(revocationsOf({ ...base, events: { 'urn:example:other': {} } }), [], 'unknown events are acknowledged and ignored');
  });
  it('refuses a SET without events, jti/iat, or with an unsupported subject format', () => {
    assert.throws(() => revocationsOf({ ...base }), /no events claim/);
    assert.throws(() => revocationsOf({ events: {} }), /needs jti and iat/);
    assert.throws(() => revocationsOf({ ...base, sub_id: { format: 'phone_number', phone_number: '+1' }, events: { [`${CAEP}session-revoked`]: {} } }), /unsupported subject format/);
  });
});

describe('exposure window (--check)', () => {
  const base = {
    issuer: 'https://edge.example', keys: { generate: true }, development: true,
    authorizationServer: { issuer: 'https://as.example', clientId: 'edge', clientSecret: 's' },
    audiences: { orders: { scopes: ['orders:read'] } },
    routes: [{ name: 'orders', pathPrefix: '/orders', upstream: 'http://127.0.0.1:1', audience: 'orders', scopes: ['orders:read'] }],
  };
  it('names the worst case without push (cache TTL + stale + JWT TTL) and what a push changes', () => {
    const off = edgeConfigSchema.parse({ ...base, introspection: { cacheMaxTtlSeconds: 300, serveStaleSeconds: 30 } });
    assert.equal(edgeRetainSeconds(off), 330);
    assert.match(edgeExposureWindow(off), /without a revocation push: 390 s \(330 s from the edge's caches, then up to 60 s for a JWT already minted\)/);
    assert.match(edgeExposureWindow(off), /revocation push: off/);
    const on = edgeConfigSchema.parse({ ...base, revocation: { adminToken: 'x'.repeat(16), redis: { url: 'redis://127.0.0.1:6379' } } });
    assert.match(edgeExposureWindow(on), /with a push to this edge \(revocation: on, fan-out: Redis pub\/sub\)/);
  });
  it('refuses a short admin secret at load time, naming the field', () => {
    const result = edgeConfigSchema.safeParse({ ...base, revocation: { adminToken: 'short' } });
    assert.equal(result.success, false);
    assert.deepEqual(result.error!.issues[0]!.path, ['revocation', 'adminToken']);
  });
});
