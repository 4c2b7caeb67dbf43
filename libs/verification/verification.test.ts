import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { SignJWT, exportJWK, type CryptoKey, type JWK } from 'jose';
import { createJwksCache, createVerifier, hasCanonicalShape, isHighS, keyQualityProblem, toLowS, type JwksEvent } from './index.js';
import { GatewayError } from '../errors/index.js';

const VECTORS = new URL('../../../test/vectors/wycheproof/', import.meta.url);

/** A real JWKS endpoint on 127.0.0.1 whose key set a test can swap, counting fetches. */
async function jwksServer(initial: { keys: unknown[] }) {
  let doc = initial;
  let fetches = 0;
  let up = true;
  const server: Server = createServer((_req, res) => {
    fetches++;
    if (!up) { res.writeHead(503).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`,
    get fetches() { return fetches; },
    set: (d: { keys: unknown[] }) => { doc = d; },
    setUp: (v: boolean) => { up = v; },
    close: () => new Promise((r) => server.close(r)),
  };
}

const ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'];

function verifierFor(url: string, overrides: { events?: JwksEvent[]; now?: () => number; cooldown?: number } = {}) {
  const jwks = createJwksCache({
    url, timeoutMs: 1000, minAgeSeconds: 30, maxAgeSeconds: 600, unknownKidCooldownSeconds: overrides.cooldown ?? 10,
    maxStaleSeconds: 3600, algorithms: ALGS, onEvent: (e) => overrides.events?.push(e), ...(overrides.now ? { now: overrides.now } : {}),
  });
  const verifier = createVerifier({
    jwks, issuer: 'https://edge.test', audience: 'orders', algorithms: ALGS, clockSkewSeconds: 5,
    maxLifetimeSeconds: 300, cacheMaxEntries: 1000, ...(overrides.now ? { now: overrides.now } : {}),
  });
  return { jwks, verifier };
}

async function reasonOf(p: unknown): Promise<string> {
  try { await p; return 'ok'; } catch (err) {
    assert.ok(err instanceof GatewayError, String(err));
    return `${err.code}:${err.reason}`;
  }
}

describe('Wycheproof JWS vectors through the verifier', () => {
  const suite = JSON.parse(readFileSync(new URL('json_web_signature_test.json', VECTORS), 'utf8')) as {
    testGroups: { comment: string; public?: JWK; private: JWK | { keys: JWK[] }; tests: { tcId: number; jws: string | object; result: string; comment: string }[] }[];
  };
  // Labelled valid, but not acceptable to a strict verifier — see test/vectors/wycheproof/SOURCES.md:
  // 346/347/350/351 are data errors (alg mismatch, "ES521"); 372/373 contain "?", which is not base64url.
  // 259/272 have an empty payload segment: an access token always carries claims, so the shape check refuses it.
  const LABEL_ERRORS = new Set([346, 347, 350, 351, 372, 373, 259, 272]);
  // a valid signature passes the signature layer and then fails the claims layer (the payloads are not JWT claim sets)
  const PAST_SIGNATURE = new Set(['invalid_token:claims_set', 'invalid_token:claim']);

  for (const group of suite.testGroups) {
    test(`group ${group.comment}`, async () => {
      const publicKeys = group.public ? ('keys' in group.public ? (group.public as { keys: JWK[] }).keys : [group.public]) : [];
      const server = await jwksServer({ keys: publicKeys });
      const { verifier, jwks } = verifierFor(server.url);
      const mismatches: string[] = [];
      let accepted = 0;
      let refusedHighS = 0;
      try {
        for (const t of group.tests) {
          if (typeof t.jws !== 'string') {
            // JSON serialisation: never accepted on a Bearer header
            assert.equal(hasCanonicalShape(JSON.stringify(t.jws), 'jws'), false);
            continue;
          }
          const reason = await reasonOf(verifier.verify(t.jws));
          const header = (() => { try { return JSON.parse(Buffer.from(t.jws.split('.')[0]!, 'base64url').toString()) as { alg?: string; kid?: string }; } catch { return {}; } })();
          // ECDSA high-s (Wycheproof labels it valid): refused on purpose, one JWT has one spelling
          const highS = isHighS(header.alg ?? '', t.jws.slice(t.jws.lastIndexOf('.') + 1));
          if (highS && t.result === 'valid') {
            refusedHighS++;
            // its low-s twin is the one valid spelling, and passes the signature layer
            if (PAST_SIGNATURE.has(await reasonOf(verifier.verify(toLowS(header.alg!, t.jws))))) accepted++;
          }
          if (highS && t.result === 'valid' && reason !== 'invalid_token:high_s') mismatches.push(`tc ${t.tcId} (high s): ${reason}`);
          const shouldPass = t.result === 'valid' && !highS && !LABEL_ERRORS.has(t.tcId) && ALGS.includes(header.alg ?? '') && publicKeys.length > 0 && header.kid !== undefined;
          const passed = PAST_SIGNATURE.has(reason);
          if (passed) accepted++;
          if (passed !== shouldPass) mismatches.push(`tc ${t.tcId} (${t.comment}, labelled ${t.result}): ${reason}`);
        }
      } finally { jwks.stop(); await server.close(); }
      assert.deepEqual(mismatches, []);
      if (group.comment === 'es256') assert.ok(accepted > 0, 'valid ES256 vectors pass the signature check');
      assert.ok(group.comment !== 'es256' || refusedHighS > 0, 'the high-s ES256 vector (labelled valid) is refused');
    });
  }
});

describe('verifier against crafted attacks', () => {
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  let good: JWK;
  let server: Awaited<ReturnType<typeof jwksServer>>;
  const now = Math.floor(Date.now() / 1000);
  const claims = { iss: 'https://edge.test', aud: 'orders', sub: 'alice', client_id: 'app', scope: 'orders:read', iat: now, exp: now + 60, jti: 'j1' };
  // low-s, as the edge signs: a high-s signature is refused before any other check (test below)
  const sign = async (payload: object, header: Record<string, unknown> = {}, key: CryptoKey | KeyObject = ec.privateKey) =>
    toLowS('ES256', await new SignJWT(payload as Record<string, unknown>).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', ...header }).sign(key));

  /** signs without jose, for headers jose refuses to produce */
  const rawSign = (header: object, payload: object, key: KeyObject) => {
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return toLowS('ES256', `${input}.${cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`);
  };

  before(async () => {
    good = { ...(await exportJWK(ec.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = await jwksServer({ keys: [good] });
  });
  after(() => server.close());

  test('a well-formed token verifies once, then comes from the cache', async () => {
    const { verifier, jwks } = verifierFor(server.url);
    const token = await sign(claims);
    const first = await verifier.verify(token);
    assert.equal(first.claims.sub, 'alice');
    assert.equal(first.cached, false);
    const second = verifier.verify(token);
    assert.ok(!(second instanceof Promise), 'a cache hit is synchronous');
    assert.equal(second.cached, true);
    assert.equal(verifier.stats.verifications, 1);
    jwks.stop();
  });

  test('a token with the signature of a cached one but another header or payload is verified in full and refused; the cached one still hits', async () => {
    const { verifier, jwks } = verifierFor(server.url);
    const token = await sign(claims);
    await verifier.verify(token);
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: 'mallory' })).toString('base64url');
    const otherHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header, 'base64url').toString()), kid: 'k1', x: 1 })).toString('base64url');
    for (const forged of [`${header}.${otherPayload}.${signature}`, `${otherHeader}.${payload}.${signature}`]) {
      const answer = verifier.verify(forged);
      assert.ok(answer instanceof Promise, 'not served from the cache');
      assert.equal(await reasonOf(answer), 'invalid_token:signature');
    }
    assert.equal(verifier.stats.verifications, 3);
    const again = verifier.verify(token);
    assert.ok(!(again instanceof Promise) && again.cached && again.claims.sub === 'alice');
    assert.equal(verifier.stats.hits, 1);
    jwks.stop();
  });

  test('concurrent requests with one new token share one verification; a bad one fails every sharer', async () => {
    const { verifier, jwks } = verifierFor(server.url);
    const token = await sign(claims);
    const results = await Promise.all(Array.from({ length: 20 }, () => verifier.verify(token)));
    assert.deepEqual(new Set(results.map((r) => r.claims.sub)), new Set(['alice']));
    assert.equal(verifier.stats.verifications, 1);
    const forged = await sign(claims, {}, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey);
    const reasons = await Promise.all(Array.from({ length: 5 }, () => reasonOf(verifier.verify(forged))));
    assert.deepEqual(reasons, Array(5).fill('invalid_token:signature'));
    assert.equal(verifier.stats.verifications, 2);
    jwks.stop();
  });

  test('every tampering is 401 invalid_token with its reason', async () => {
    const { verifier, jwks } = verifierFor(server.url);
    const token = await sign(claims);
    const [h, p, s] = token.split('.');
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const hmacKey = Buffer.from(JSON.stringify(good));
    const hsHeader = Buffer.from(JSON.stringify({ alg: 'HS256', kid: 'k1', typ: 'at+jwt' })).toString('base64url');
    const hsSig = createHmac('sha256', hmacKey).update(`${hsHeader}.${p}`).digest('base64url');
    const noneHeader = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url');
    const cases: [string, string | Promise<string>, string][] = [
      ['tampered payload', `${h}.${Buffer.from(JSON.stringify({ ...claims, scope: 'orders:admin' })).toString('base64url')}.${s}`, 'signature'],
      ['wrong key, same kid', sign(claims, {}, other), 'signature'],
      ['alg none, empty signature', `${noneHeader}.${p}.`, 'shape'],
      ['alg none with a signature part', `${noneHeader}.${p}.${s}`, 'alg_not_allowed'],
      ['HS256 signed with the public key', `${hsHeader}.${p}.${hsSig}`, 'alg_not_allowed'],
      ['expired', sign({ ...claims, iat: now - 120, exp: now - 60 }), 'expired'],
      ['not yet valid', sign({ ...claims, nbf: now + 120 }), 'claim'],
      ['wrong audience', sign({ ...claims, aud: 'inventory' }), 'claim'],
      ['wrong issuer', sign({ ...claims, iss: 'https://evil.test' }), 'claim'],
      ['typ JWT instead of at+jwt', sign(claims, { typ: 'JWT' }), 'claim'],
      ['lifetime over the maximum', sign({ ...claims, exp: now + 3600 }), 'lifetime'],
      ['no exp', sign({ ...claims, exp: undefined }), 'claim'],
      ['issued in the future', sign({ ...claims, iat: now + 100, exp: now + 160 }), 'iat_future'],
      ['padding in the signature', `${token}=`, 'shape'],
      ['space in a segment', `${h}.${p} .${s}`, 'shape'],
      ['non-canonical trailing bits', `${h}.${p}.${s!.slice(0, -1)}${String.fromCharCode(s!.charCodeAt(s!.length - 1) ^ 1)}`, 'signature'],
      ['unknown crit', rawSign({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', crit: ['x-unknown'], 'x-unknown': 1 }, claims, ec.privateKey), 'not_supported'],
      ['four segments', `${token}.abc`, 'shape'],
    ];
    for (const [name, tokenOrPromise, expected] of cases) {
      const reason = await reasonOf(Promise.resolve(tokenOrPromise).then((t) => verifier.verify(t)));
      if (name === 'non-canonical trailing bits') { assert.match(reason, /^invalid_token:(shape|signature)$/, name); continue; }
      assert.equal(reason, `invalid_token:${expected}`, name);
    }
    jwks.stop();
  });

  test('keys are never taken from the token: jku, jwk and x5u are ignored and never fetched', async () => {
    const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const trap = await jwksServer({ keys: [{ ...(await exportJWK(attacker.publicKey)), kid: 'evil', alg: 'ES256' }] });
    const { verifier, jwks } = verifierFor(server.url);
    const attackerJwk = { ...(await exportJWK(attacker.publicKey)), kid: 'evil' };
    for (const header of [{ kid: 'evil', jku: trap.url }, { kid: 'evil', jwk: attackerJwk }, { kid: 'evil', x5u: trap.url }]) {
      const token = await sign(claims, header, attacker.privateKey);
      assert.equal(await reasonOf(verifier.verify(token)), 'invalid_token:unknown_kid');
    }
    assert.equal(trap.fetches, 0);
    jwks.stop();
    await trap.close();
  });

  test('a flood of random kids triggers one JWKS refetch per cooldown', async () => {
    const { verifier, jwks } = verifierFor(server.url, { cooldown: 60 });
    await verifier.verify(await sign(claims));
    const before = server.fetches;
    const tokens = await Promise.all(Array.from({ length: 50 }, (_, i) => sign(claims, { kid: `random-${i}` })));
    const reasons = await Promise.all(tokens.map((t) => reasonOf(verifier.verify(t))));
    assert.deepEqual([...new Set(reasons)], ['invalid_token:unknown_kid']);
    assert.equal(server.fetches - before, 1);
    jwks.stop();
  });

  test('a new key is picked up by the one refetch an unknown kid triggers', async () => {
    const next = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const { verifier, jwks } = verifierFor(server.url);
    await verifier.verify(await sign(claims));
    server.set({ keys: [good, { ...(await exportJWK(next.publicKey)), kid: 'k2', alg: 'ES256' }] });
    const rotated = await sign({ ...claims, jti: 'j2' }, { kid: 'k2' }, next.privateKey);
    assert.equal((await verifier.verify(rotated)).claims.jti, 'j2');
    server.set({ keys: [good] });
    jwks.stop();
  });

  test('while the JWKS endpoint is down the last good keys keep serving; with no keys ever, 503', async () => {
    const { verifier, jwks } = verifierFor(server.url);
    await jwks.refresh();
    server.setUp(false);
    try {
      assert.equal((await verifier.verify(await sign({ ...claims, jti: 'down' }))).claims.jti, 'down');
      const fresh = verifierFor(server.url);
      assert.equal(await reasonOf(fresh.verifier.verify(await sign(claims))), 'jwks_unavailable:jwks_unavailable');
      fresh.jwks.stop();
    } finally { server.setUp(true); jwks.stop(); }
  });

  test('weak or unsuitable JWKS keys are refused', async () => {
    const rsa1024 = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }) as JWK;
    const rsa2048 = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as JWK;
    assert.match(keyQualityProblem(rsa1024)!, /2048/);
    assert.equal(keyQualityProblem(rsa2048), undefined);
    assert.match(keyQualityProblem({ ...rsa2048, e: 'AQ' })!, /65537/);
    assert.match(keyQualityProblem({ kty: 'oct', k: 'abc' })!, /private or symmetric/);
    assert.match(keyQualityProblem({ ...good, crv: 'secp256k1' })!, /curve/);
    assert.match(keyQualityProblem({ ...good, d: 'x' })!, /private/);
    assert.match(keyQualityProblem({ ...good, use: 'enc' })!, /use/);
    const events: JwksEvent[] = [];
    const weak = await jwksServer({ keys: [{ ...rsa2048, e: 'AQ', kid: 'weak' }, good] });
    const { jwks } = verifierFor(weak.url, { events });
    await jwks.refresh();
    const fetched = events.find((e) => e.type === 'fetched');
    assert.ok(fetched && fetched.type === 'fetched');
    assert.equal(fetched.keys, 1);
    assert.deepEqual(fetched.rejected.map((r) => r.kid), ['weak']);
    jwks.stop();
    await weak.close();
  });
});

test('Wycheproof JWK sets: every weak RSA key the vectors flag (ROCA, too small, exponent one) is refused, each for its reason', () => {
  const suite = JSON.parse(readFileSync(new URL('json_web_key_test.json', VECTORS), 'utf8')) as {
    testGroups: { comment: string; public?: { keys?: JWK[] } & JWK }[];
  };
  const keyOf = (comment: string): JWK => {
    const group = suite.testGroups.find((g) => g.comment === comment);
    assert.ok(group?.public, `the vector file has the group ${comment}`);
    return group.public.keys?.[0] ?? group.public;
  };
  assert.match(keyQualityProblem(keyOf('jws_rsa_roca_key'))!, /ROCA/);
  assert.match(keyQualityProblem(keyOf('keysize_too_small'))!, /2048 bits/);
  assert.match(keyQualityProblem(keyOf('exponentOne'))!, /65537/);
  // and the sound RSA key of the same file passes: the ROCA check does not refuse ordinary keys
  assert.equal(keyQualityProblem(keyOf('rs256')), undefined);
});

test('the ROCA check passes freshly generated RSA keys', () => {
  for (let i = 0; i < 3; i++) {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }) as JWK;
    assert.equal(keyQualityProblem(jwk), undefined);
  }
});
