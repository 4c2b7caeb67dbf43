import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign as cryptoSign } from 'node:crypto';
import { SignJWT, exportJWK, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose';
import { GatewayError } from '../errors/index.js';
import { NODE_SIGNATURE_PARAMS } from '../keys/index.js';
import { verifyCompact } from './verify-compact.js';

const KEYS = {
  ES256: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
  EdDSA: generateKeyPairSync('ed25519'),
  RS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: generateKeyPairSync('rsa', { modulusLength: 2048 }),
} as const;
type Alg = keyof typeof KEYS;
const now = Math.floor(Date.now() / 1000);
const claims = { iss: 'https://edge.test', aud: 'orders', sub: 'alice', scope: 'orders:read', iat: now, exp: now + 60 };
const options = { issuer: 'https://edge.test', audience: 'orders', typ: 'at+jwt', requiredClaims: ['exp', 'iat', 'iss', 'aud'], clockTolerance: 5 };
const publicKey = async (alg: Alg): Promise<CryptoKey> => importJWK(await exportJWK(KEYS[alg].publicKey), alg) as Promise<CryptoKey>;
const header = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
const signed = (alg: Alg, payload: JWTPayload, extra: Record<string, unknown> = {}) =>
  new SignJWT(payload).setProtectedHeader({ alg, kid: 'k1', typ: 'at+jwt', ...extra }).sign(KEYS[alg].privateKey);

/** jose's jwtVerify, the reference: its outcome as the payload or the error's code */
async function joseOutcome(token: string, key: CryptoKey): Promise<string> {
  try { return JSON.stringify((await jwtVerify(token, key, options)).payload); } catch (err) { return (err as { code: string }).code; }
}
function ownOutcome(token: string, key: CryptoKey): string {
  try { return JSON.stringify(verifyCompact(token, header(token), key, options)); } catch (err) {
    return err instanceof GatewayError ? `gateway:${err.reason}` : (err as { code: string }).code;
  }
}

test('verifyCompact agrees with jose jwtVerify on valid tokens and on every claim failure, for each algorithm', async () => {
  for (const alg of Object.keys(KEYS) as Alg[]) {
    const key = await publicKey(alg);
    const tokens = [
      await signed(alg, claims),
      await signed(alg, { ...claims, iat: now - 120, exp: now - 60 }),
      await signed(alg, { ...claims, nbf: now + 120 }),
      await signed(alg, { ...claims, aud: 'inventory' }),
      await signed(alg, { ...claims, aud: ['inventory', 'orders'] }),
      await signed(alg, { ...claims, iss: 'https://evil.test' }),
      await signed(alg, { ...claims, exp: undefined }),
      await signed(alg, claims, { typ: 'JWT' }),
      await signed(alg, claims, { typ: 'application/at+jwt' }),
    ];
    for (const token of tokens) assert.equal(ownOutcome(token, key), await joseOutcome(token, key), `${alg}: ${JSON.stringify(header(token))} ${token.split('.')[1]}`);
    assert.deepEqual(verifyCompact(tokens[0]!, header(tokens[0]!), key, options), claims, alg);
  }
});

test('verifyCompact refuses a changed payload or signature, another key, an unknown crit, and a key made for another algorithm', async () => {
  const key = await publicKey('ES256');
  const token = await signed('ES256', claims);
  const [h, p, s] = token.split('.');
  const other = Buffer.from(JSON.stringify({ ...claims, scope: 'orders:admin' })).toString('base64url');
  assert.equal(ownOutcome(`${h}.${other}.${s}`, key), 'gateway:signature');
  assert.equal(ownOutcome(`${h}.${p}.${s!.slice(0, 40)}`, key), 'gateway:signature', 'a short signature');
  assert.equal(ownOutcome(token, await importJWK(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey), 'ES256') as CryptoKey), 'gateway:signature');
  const critHeader = Buffer.from(JSON.stringify({ alg: 'ES256', kid: 'k1', typ: 'at+jwt', crit: ['x'], x: 1 })).toString('base64url');
  const critSig = cryptoSign('sha256', Buffer.from(`${critHeader}.${p}`), { key: KEYS.ES256.privateKey, ...NODE_SIGNATURE_PARAMS.ES256.options }).toString('base64url');
  assert.equal(ownOutcome(`${critHeader}.${p}.${critSig}`, key), 'gateway:not_supported');
  // an Ed25519 key never verifies a token that says ES256, nor an RSA key made for RS256 one that says PS256
  assert.equal(ownOutcome(token, await publicKey('EdDSA')), 'gateway:alg_mismatch');
  assert.equal(ownOutcome(await signed('PS256', claims), await publicKey('RS256')), 'gateway:alg_mismatch');
  assert.equal(ownOutcome(token, await importJWK(await exportJWK(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey), 'ES384') as CryptoKey), 'gateway:alg_mismatch');
});

test('verifyCompact refuses, as jose jwtVerify does, a key whose JWKS key_ops leave out verify', async () => {
  const token = await signed('ES256', claims);
  const key = await importJWK({ ...(await exportJWK(KEYS.ES256.publicKey)), key_ops: [] }, 'ES256') as CryptoKey;
  assert.deepEqual(key.usages, []);
  await assert.rejects(jwtVerify(token, key, options), /usages must include verify/);
  assert.equal(ownOutcome(token, key), 'gateway:key_usage');
});
