import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { createLocalJWKSet, exportJWK, jwtVerify, type JWK } from 'jose';
import { createJwksCache, createVerifier, toLowS } from './index.js';
import { GatewayError } from '../errors/index.js';
import { NODE_SIGNATURE_PARAMS } from '../keys/index.js';

/*
 * Differential: a corpus of hostile tokens, each through the micro's verifier
 * (createVerifier, keys from a JWKS served over HTTP) and through jose's
 * jwtVerify with the same keys and options. The verifier may refuse more
 * (shape, high-s, crit, lifetime, iat in the future) but never accepts what
 * jose refuses, and accepts every valid token with jose's claims.
 */
const ALGS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
type Alg = (typeof ALGS)[number];
const PAIRS = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};
const RSA_ANY = generateKeyPairSync('rsa', { modulusLength: 2048 });
const NO_OPS = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const now = Math.floor(Date.now() / 1000);
const CLAIMS = { iss: 'https://edge.test', aud: 'orders', sub: 'alice', iat: now, exp: now + 60 };
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

let server: Server;
let url = '';
let jwks: JWK[] = [];
before(async () => {
  jwks = [
    ...await Promise.all(ALGS.map(async (alg) => ({ ...(await exportJWK(PAIRS[alg].publicKey)), kid: alg, alg, use: 'sig' }))),
    { ...(await exportJWK(RSA_ANY.publicKey)), kid: 'rsa-any' },
    { ...(await exportJWK(NO_OPS.publicKey)), kid: 'no-ops', alg: 'ES256', key_ops: [] },
  ];
  server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: jwks })); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
});
after(() => new Promise((r) => server.close(r)));

/** a compact JWS over exactly these header and payload bytes, signed for `alg` with `key` */
function forge(header: string | object, payload: string | Buffer | object, alg: Alg, key: KeyObject): string {
  const h = b64(typeof header === 'string' ? header : JSON.stringify(header));
  const p = typeof payload === 'string' || Buffer.isBuffer(payload) ? b64(payload) : b64(JSON.stringify(payload));
  const params = NODE_SIGNATURE_PARAMS[alg];
  // ECDSA signatures low-s, as the edge signs them (a high-s twin is tried on its own below)
  return toLowS(alg, `${h}.${p}.${cryptoSign(params.digest, Buffer.from(`${h}.${p}`), { key, ...params.options }).toString('base64url')}`);
}
const signed = (alg: Alg, payload: string | Buffer | object = CLAIMS, header: object = {}) =>
  forge({ alg, kid: alg, typ: 'at+jwt', ...header }, payload, alg, PAIRS[alg].privateKey);

function corpus(): { name: string; token: string; valid?: true }[] {
  const out: { name: string; token: string; valid?: true }[] = [];
  const add = (name: string, token: string, valid?: true) => out.push(valid ? { name, token, valid } : { name, token });
  for (const alg of ALGS) {
    add(`${alg} valid`, signed(alg), true);
    add(`${alg} typ application/AT+JWT`, signed(alg, CLAIMS, { typ: 'application/AT+JWT' }), true);
    add(`${alg} aud array`, signed(alg, { ...CLAIMS, aud: ['inventory', 'orders'] }), true);
    for (const typ of ['JWT', 'AT+JWT ', 'application/at+jwt;x=1', 'x/at+jwt', 123, ['at+jwt'], null, { a: 1 }, true, '']) add(`${alg} typ ${JSON.stringify(typ)}`, signed(alg, CLAIMS, { typ }));
    add(`${alg} no typ`, forge({ alg, kid: alg }, CLAIMS, alg, PAIRS[alg].privateKey));
    for (const [k, v] of Object.entries({ exp: [String(now + 60), now + 60.5, Infinity, -Infinity, null, [now + 60], true, now - 60], nbf: [String(now + 600), now + 600, Infinity, now + 0.1], iat: [String(now), now + 600, -Infinity, Infinity, 0.5, null] })) {
      for (const value of v) {
        const raw = value === Infinity ? '1e400' : value === -Infinity ? '-1e400' : JSON.stringify(value);
        // jose takes any JSON number (a float, and 1e400, which JSON.parse makes Infinity) for exp, nbf, iat
        const accepted = typeof value === 'number' && Number.isFinite(value) && !Number.isInteger(value) && k !== 'iat' ? true : undefined;
        add(`${alg} ${k} ${raw}`, signed(alg, `{${Object.entries(CLAIMS).filter(([c]) => c !== k).map(([c, x]) => `"${c}":${JSON.stringify(x)}`).join(',')},"${k}":${raw}}`), accepted);
      }
    }
    for (const aud of [[], ['inventory'], [['orders']], 'Orders', ' orders', null, { orders: 1 }]) add(`${alg} aud ${JSON.stringify(aud)}`, signed(alg, { ...CLAIMS, aud }));
    add(`${alg} aud [1, "orders"] (jose: ours is in the array)`, signed(alg, { ...CLAIMS, aud: [1, 'orders'] }), true);
    for (const iss of ['https://edge.test/', 'HTTPS://edge.test', null, ['https://edge.test']]) add(`${alg} iss ${JSON.stringify(iss)}`, signed(alg, { ...CLAIMS, iss }));
    const claimsJson = JSON.stringify(CLAIMS);
    add(`${alg} duplicate aud, the last one foreign`, signed(alg, claimsJson.replace('"aud":"orders"', '"aud":"orders","aud":"inventory"')));
    add(`${alg} duplicate aud, the last one ours`, signed(alg, claimsJson.replace('"aud":"orders"', '"aud":"inventory","aud":"orders"')), true);
    add(`${alg} duplicate exp, the last one past`, signed(alg, claimsJson.replace(`"exp":${now + 60}`, `"exp":${now + 60},"exp":${now - 600}`)));
    add(`${alg} duplicate alg, the last one none`, forge(`{"alg":"${alg}","kid":"${alg}","typ":"at+jwt","alg":"none"}`, CLAIMS, alg, PAIRS[alg].privateKey));
    add(`${alg} duplicate typ, the last one JWT`, forge(`{"alg":"${alg}","kid":"${alg}","typ":"at+jwt","typ":"JWT"}`, CLAIMS, alg, PAIRS[alg].privateKey));
    add(`${alg} payload with a BOM (jose's TextDecoder drops it)`, signed(alg, `\uFEFF${claimsJson}`), true);
    add(`${alg} payload with trailing data`, signed(alg, `${claimsJson} x`));
    add(`${alg} payload with trailing whitespace`, signed(alg, `${claimsJson} \n`), true);
    add(`${alg} payload invalid UTF-8`, signed(alg, Buffer.concat([Buffer.from(claimsJson.slice(0, -1)), Buffer.from(',"x":"\xff"}', 'latin1')])));
    for (const p of ['[]', '"x"', '1', 'null', 'true', '{"__proto__":[]}', '']) add(`${alg} payload ${p}`, signed(alg, p));
    add(`${alg} header with a BOM`, forge(`\uFEFF${JSON.stringify({ alg, kid: alg, typ: 'at+jwt' })}`, CLAIMS, alg, PAIRS[alg].privateKey));
    add(`${alg} header array`, forge(`[${JSON.stringify({ alg, kid: alg, typ: 'at+jwt' })}]`, CLAIMS, alg, PAIRS[alg].privateKey));
    add(`${alg} crit b64 false`, signed(alg, CLAIMS, { crit: ['b64'], b64: false }));
    add(`${alg} b64 false without crit`, signed(alg, CLAIMS, { b64: false }), true);
    add(`${alg} crit empty`, signed(alg, CLAIMS, { crit: [] }));
    add(`${alg} crit exp`, signed(alg, CLAIMS, { crit: ['exp'], exp: 1 }));
    add(`${alg} jwk in header (ignored: the JWKS key still decides)`, signed(alg, CLAIMS, { jwk: jwks[0] }), true);
    add(`${alg} lifetime one year`, signed(alg, { ...CLAIMS, exp: now + 365 * 86400 }));
    add(`${alg} 100 kB of claims`, signed(alg, { ...CLAIMS, pad: 'x'.repeat(100_000) }), true);
    const [h, p, s] = signed(alg).split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    add(`${alg} signature one byte short`, `${h}.${p}.${b64(sig.subarray(1))}`);
    add(`${alg} signature one byte long`, `${h}.${p}.${b64(Buffer.concat([sig, Buffer.alloc(1)]))}`);
    add(`${alg} signature zero-prefixed`, `${h}.${p}.${b64(Buffer.concat([Buffer.alloc(1), sig]))}`);
    add(`${alg} signature empty`, `${h}.${p}.`);
    add(`${alg} signature of zeros`, `${h}.${p}.${b64(Buffer.alloc(sig.length))}`);
    add(`${alg} signature non-canonical base64url`, `${h}.${p}.${s.slice(0, -1)}${String.fromCharCode(s.charCodeAt(s.length - 1) ^ 1)}`);
    add(`${alg} payload of another token`, `${h}.${b64(JSON.stringify({ ...CLAIMS, sub: 'mallory' }))}.${s}`);
    add(`${alg} four segments`, `${h}.${p}.${s}.`);
    add(`${alg} padded signature`, `${h}.${p}.${s}=`);
    // algorithm confusion: the header names one algorithm, the kid another key
    for (const kid of [...ALGS, 'rsa-any', 'no-ops']) {
      if (kid === alg) continue;
      const pair = kid === 'rsa-any' ? RSA_ANY : kid === 'no-ops' ? NO_OPS : PAIRS[kid as Alg];
      let token = '';
      try { token = forge({ alg, kid, typ: 'at+jwt' }, CLAIMS, alg, pair.privateKey); } catch { token = forge({ alg, kid, typ: 'at+jwt' }, CLAIMS, alg, PAIRS[alg].privateKey); }
      add(`${alg} header, key ${kid}`, token, kid === 'rsa-any' && alg.endsWith('S256') && alg !== 'ES256' ? true : undefined);
    }
  }
  // a high-s twin of a valid ES256 token, and the low-s one
  const lowToken = toLowS('ES256', signed('ES256'));
  const [eh, ep, es] = lowToken.split('.') as [string, string, string];
  const low = Buffer.from(es, 'base64url');
  const high = Buffer.concat([low.subarray(0, 32), Buffer.from((0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n - BigInt(`0x${low.subarray(32).toString('hex')}`)).toString(16).padStart(64, '0'), 'hex')]);
  add('ES256 low-s', lowToken, true);
  add('ES256 high-s twin', `${eh}.${ep}.${b64(high)}`);
  // none, HS256 keyed with a public key's JWK or PEM, unknown algorithms
  const payload = b64(JSON.stringify(CLAIMS));
  add('alg none', `${b64(JSON.stringify({ alg: 'none', kid: 'ES256', typ: 'at+jwt' }))}.${payload}.`);
  for (const kid of ['RS256', 'ES256']) {
    for (const secret of [JSON.stringify(jwks.find((k) => k.kid === kid)), PAIRS[kid as Alg].publicKey.export({ type: 'spki', format: 'pem' }) as string]) {
      const h = b64(JSON.stringify({ alg: 'HS256', kid, typ: 'at+jwt' }));
      add(`HS256 keyed with the ${kid} public key`, `${h}.${payload}.${createHmac('sha256', secret).update(`${h}.${payload}`).digest('base64url')}`);
    }
  }
  for (const alg of ['ES384', 'ES256K', 'Ed25519', 'RS512', 'es256', '', 1, null]) {
    add(`alg ${JSON.stringify(alg)}`, forge({ alg, kid: 'ES256', typ: 'at+jwt' }, CLAIMS, 'ES256', PAIRS.ES256.privateKey));
  }
  add('no alg', forge({ kid: 'ES256', typ: 'at+jwt' }, CLAIMS, 'ES256', PAIRS.ES256.privateKey));
  add('no kid', forge({ alg: 'ES256', typ: 'at+jwt' }, CLAIMS, 'ES256', PAIRS.ES256.privateKey));
  return out;
}

test('the micro verifier never accepts a token jose jwtVerify refuses, and accepts every valid one with the same claims', async () => {
  const verifier = createVerifier({
    jwks: createJwksCache({ url, timeoutMs: 1000, minAgeSeconds: 30, maxAgeSeconds: 600, unknownKidCooldownSeconds: 0, maxStaleSeconds: 3600, algorithms: [...ALGS] }),
    issuer: 'https://edge.test', audience: 'orders', algorithms: ALGS, clockSkewSeconds: 5, maxLifetimeSeconds: 300, cacheMaxEntries: 1000,
  });
  const keySet = createLocalJWKSet({ keys: jwks });
  const options = { algorithms: [...ALGS], issuer: 'https://edge.test', audience: 'orders', typ: 'at+jwt', clockTolerance: 5, requiredClaims: ['exp', 'iat', 'iss', 'aud'] };
  const tokens = corpus();
  const disagreements: string[] = [];
  const stricter: string[] = [];
  let accepted = 0;
  for (const { name, token, valid } of tokens) {
    let reference: string;
    try { reference = JSON.stringify((await jwtVerify(token, keySet, options)).payload); } catch (err) { reference = `refused:${(err as { code?: string }).code ?? (err as Error).name}`; }
    let own: string;
    try { own = JSON.stringify((await verifier.verify(token)).claims); } catch (err) {
      assert.ok(err instanceof GatewayError, `${name}: ${String(err)}`);
      assert.equal(err.code, 'invalid_token', name);
      own = `refused:${err.reason}`;
    }
    if (!own.startsWith('refused:')) accepted++;
    if (!own.startsWith('refused:') && own !== reference) disagreements.push(`${name}: accepted, jose ${reference}`);
    if (valid && own !== reference) disagreements.push(`${name}: valid, refused (${own}), jose ${reference}`);
    if (own.startsWith('refused:') && !reference.startsWith('refused:')) stricter.push(`${name}: ${own}`);
  }
  assert.deepEqual(disagreements, []);
  // refused here, accepted by jose: the verifier's own rules (lifetime, iat, header BOM, low-s, a kid)
  assert.deepEqual(stricter, [
    ...ALGS.flatMap((alg) => [
      `${alg} exp 1e400: refused:lifetime`, `${alg} iat ${now + 600}: refused:iat_future`, `${alg} iat -1e400: refused:lifetime`,
      `${alg} iat 1e400: refused:iat_future`, `${alg} iat 0.5: refused:lifetime`, `${alg} header with a BOM: refused:header`, `${alg} lifetime one year: refused:lifetime`,
    ]),
    'ES256 high-s twin: refused:high_s',
    'no kid: refused:no_kid',
  ]);
  assert.equal(accepted, tokens.filter((t) => t.valid).length);
  assert.ok(tokens.length > 300, `${tokens.length} tokens`);
});
