import { KeyObject, sign, type webcrypto } from 'node:crypto';
import type { JWTPayload } from 'jose';
import { NODE_SIGNATURE_PARAMS, type LoadedKey } from '../keys/index.js';
import { toLowSInPlace } from '../verification/ecdsa-low-s.js';

interface Signer { headerB64: string; keyObject: KeyObject }
const signers = new WeakMap<LoadedKey, Signer>();

/**
 * Signs a JWT (compact JWS, `typ: at+jwt`, the key's `alg` and `kid`) with
 * node:crypto's one-shot `sign` (synchronously for ES256 and EdDSA, on
 * libuv's pool for RSA, whose signatures cost ~1 ms). jose's `SignJWT` goes through
 * WebCrypto (an async job, a promise, a key wrapper per call): measured here,
 * 100–210 µs of CPU per ES256 signature against 36–47 µs for this path. What
 * is signed is the same bytes jose would sign (base64url of the JSON header
 * and claims); jose verifies the result in the tests, for every algorithm.
 * ECDSA signatures come out low-s (the micro gateways refuse the other spelling).
 */
export function signCompact(key: LoadedKey, claims: JWTPayload): string | Promise<string> {
  let signer = signers.get(key);
  if (!signer) {
    signer = {
      headerB64: Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })).toString('base64url'),
      keyObject: KeyObject.from(key.privateKey as unknown as webcrypto.CryptoKey),
    };
    signers.set(key, signer);
  }
  const input = `${signer.headerB64}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  const { digest, options } = NODE_SIGNATURE_PARAMS[key.alg];
  const params = { key: signer.keyObject, ...options };
  if (key.alg === 'ES256' || key.alg === 'EdDSA') {
    return `${input}.${toLowSInPlace(key.alg, sign(digest, Buffer.from(input), params)).toString('base64url')}`;
  }
  // an RSA signature costs ~1 ms: on libuv's pool (sign with a callback), not on the event loop
  return new Promise((resolve, reject) => {
    sign(digest, Buffer.from(input), params, (err, signature) => { if (err) reject(err); else resolve(`${input}.${signature.toString('base64url')}`); });
  });
}
