import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, calculateJwkThumbprint, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import type { Program } from '../../libs/process/index.js';
import { getToken, startEdge, startTopology, type Topology } from '../support/topology.js';
import { bearer, decode, send } from '../support/http.js';

interface Holder { privateKey: CryptoKey; jwk: JWK }
async function holder(): Promise<Holder> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwk: await exportJWK(publicKey) };
}

/** an RFC 9449 proof; `claims` overrides the right values */
function proof(h: Holder, htm: string, htu: string, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ jti: randomUUID(), htm, htu, iat: Math.floor(Date.now() / 1000), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: h.jwk, ...header })
    .sign(h.privateKey);
}
const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

/** a DPoP-bound token from the development AS (oidc-provider's dPoP feature) */
async function dpopToken(as: Program, h: Holder): Promise<string> {
  const res = await fetch(`${as.url}/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    headers: { authorization: `Basic ${Buffer.from('demo-app:demo-secret').toString('base64')}`, dpop: await proof(h, 'POST', `${as.url}/token`) },
  });
  const json = await res.json() as { access_token?: string; token_type?: string };
  if (json.token_type !== 'DPoP' || !json.access_token) throw new Error(`no DPoP token: ${JSON.stringify(json)}`);
  return json.access_token;
}

const ALGS = 'ES256 EdDSA PS256 RS256';

describe('DPoP at the edge (RFC 9449) with DPoP-bound tokens from the real AS', () => {
  let t: Topology;
  let alice: Holder, mallory: Holder;
  let token: string;
  let url: string;
  const dpop = (token_: string, p: string) => ({ authorization: `DPoP ${token_}`, dpop: p });

  before(async () => {
    t = await startTopology({ edge: { proofOfPossession: { dpop: { enabled: true } } } });
    [alice, mallory] = await Promise.all([holder(), holder()]);
    token = await dpopToken(t.as, alice);
    url = `${t.edge.url}/orders/1`;
  });
  after(async () => { await t?.stop(); });

  test('a valid proof → 200; the minted JWT carries cnf.jkt and sender_constraint "dpop"; the same proof again → 401 invalid_dpop_proof (replay)', async () => {
    const p = await proof(alice, 'GET', url, { ath: ath(token) });
    const ok = await send(url, { headers: dpop(token, p) });
    assert.equal(ok.status, 200, ok.text);
    const echoed = ok.json<{ headers: Record<string, string> }>().headers;
    assert.equal(echoed.dpop, undefined);
    const claims = decode(echoed.authorization!.slice(7)).claims;
    assert.deepEqual(claims.cnf, { jkt: await calculateJwkThumbprint(alice.jwk, 'sha256') });
    assert.equal(claims.sender_constraint, 'dpop');
    const replay = await send(url, { headers: dpop(token, p) });
    assert.equal(replay.status, 401);
    assert.equal(replay.headers['www-authenticate'], `DPoP algs="${ALGS}", error="invalid_dpop_proof", error_description="the DPoP proof was already used"`);
    assert.deepEqual(replay.json(), { error: 'invalid_dpop_proof', error_description: 'the DPoP proof was already used' });
  });

  test('a proof for another method, URL or token, or with an iat outside the window → 401 invalid_dpop_proof naming the problem', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ htm: 'POST' }, 'the DPoP proof is for another HTTP method'],
      [{ htu: `${t.edge.url}/orders/2` }, 'the DPoP proof is for another URL'],
      [{ ath: ath('another-token') }, 'the DPoP proof is for another access token'],
      [{ iat: Math.floor(Date.now() / 1000) - 600 }, 'the DPoP proof\'s iat is outside the accepted window'],
      [{ iat: Math.floor(Date.now() / 1000) + 600 }, 'the DPoP proof\'s iat is outside the accepted window'],
    ];
    for (const [claims, description] of cases) {
      const r = await send(url, { headers: dpop(token, await proof(alice, 'GET', url, { ath: ath(token), ...claims })) });
      assert.equal(r.status, 401, JSON.stringify(claims));
      assert.equal(r.json<{ error_description: string }>().error_description, description, JSON.stringify(claims));
    }
    // the query is not part of htu (RFC 9449 §4.3)
    assert.equal((await send(`${url}?page=2`, { headers: dpop(token, await proof(alice, 'GET', url, { ath: ath(token) })) })).status, 200);
  });

  test('a proof with a private jwk, the wrong typ or no proof at all → 401 invalid_dpop_proof', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const privateJwk = await exportJWK(privateKey);
    const withPrivate = await proof({ privateKey, jwk: privateJwk }, 'GET', url, { ath: ath(token) });
    const r1 = await send(url, { headers: dpop(token, withPrivate) });
    assert.equal(r1.status, 401);
    assert.equal(r1.json<{ error: string }>().error, 'invalid_dpop_proof');
    const wrongTyp = await proof(alice, 'GET', url, { ath: ath(token) }, { typ: 'JWT' });
    assert.equal((await send(url, { headers: dpop(token, wrongTyp) })).json<{ error: string }>().error, 'invalid_dpop_proof');
    const none = await send(url, { headers: { authorization: `DPoP ${token}` } });
    assert.equal(none.status, 401);
    assert.equal(none.json<{ error_description: string }>().error_description, 'a DPoP proof is required with the DPoP scheme');
  });

  test('a valid proof signed by another key than cnf.jkt → 401 invalid_token; the DPoP-bound token as Bearer → 401; no credentials → Bearer and DPoP challenges', async () => {
    const other = await send(url, { headers: dpop(token, await proof(mallory, 'GET', url, { ath: ath(token) })) });
    assert.equal(other.status, 401);
    assert.deepEqual(other.json(), { error: 'invalid_token', error_description: 'the DPoP proof is signed by another key than the one the access token is bound to' });
    const asBearer = await send(url, { headers: bearer(token) });
    assert.equal(asBearer.status, 401);
    assert.equal(asBearer.json<{ error_description: string }>().error_description, 'the access token is DPoP-bound: present it with a DPoP proof');
    const bare = await send(url);
    assert.equal(bare.status, 401);
    assert.equal(bare.headers['www-authenticate'], `Bearer realm="phantom-test", DPoP algs="${ALGS}"`);
    // an unbound token with a DPoP proof is refused too: the binding is what DPoP proves
    const plain = await getToken(t.as, { scope: 'orders:read' });
    const unbound = await send(url, { headers: dpop(plain, await proof(alice, 'GET', url, { ath: ath(plain) })) });
    assert.equal(unbound.status, 401);
    assert.equal((await send(url, { headers: bearer(plain) })).status, 200);
  });

  test('server nonce: without it → 401 use_dpop_nonce with DPoP-Nonce; with the nonce given → 200; a forged nonce → use_dpop_nonce again', async (ctx) => {
    // this edge forwards straight to the echo backend (its own signing key is unknown to the topology's micro gateway)
    const edge = await startEdge(t.as.url, t.backend.url, { proofOfPossession: { dpop: { enabled: true, requireNonce: true } } }, t.dir);
    ctx.after(() => edge.stop());
    const target = `${edge.url}/orders/1`;
    const first = await send(target, { headers: dpop(token, await proof(alice, 'GET', target, { ath: ath(token) })) });
    assert.equal(first.status, 401);
    assert.equal(first.headers['www-authenticate'], `DPoP algs="${ALGS}", error="use_dpop_nonce", error_description="the DPoP proof must carry the nonce this server provides in DPoP-Nonce"`);
    const nonce = first.headers['dpop-nonce'];
    assert.equal(typeof nonce, 'string');
    const second = await send(target, { headers: dpop(token, await proof(alice, 'GET', target, { ath: ath(token), nonce })) });
    assert.equal(second.status, 200, second.text);
    const stale = await send(target, { headers: dpop(token, await proof(alice, 'GET', target, { ath: ath(token), nonce: 'zz.AAAAAAAAAAAAAAAAAAAAAA' })) });
    assert.equal(stale.status, 401);
    assert.equal(stale.json<{ error: string }>().error, 'use_dpop_nonce');
  });
});
