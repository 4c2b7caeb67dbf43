import { KeyObject, verify, type webcrypto } from 'node:crypto';
import { UnsecuredJWT, type CryptoKey, type JWTClaimVerificationOptions, type JWTPayload } from 'jose';
import { NODE_SIGNATURE_PARAMS, SIGNING_ALGORITHMS } from '../keys/index.js';
import { GatewayError } from '../errors/index.js';

const nodeKeys = new WeakMap<CryptoKey, KeyObject>();

/** a refused access token: 401 invalid_token with its reason (the verifier's one way to say no) */
export function invalid(reason: string, description = 'the access token is invalid'): GatewayError {
  return new GatewayError('invalid_token', description, { reason });
}

const isSigningAlgorithm = (alg: unknown): alg is keyof typeof NODE_SIGNATURE_PARAMS => (SIGNING_ALGORITHMS as readonly unknown[]).includes(alg);

/**
 * Verifies a compact JWS whose shape was checked (three canonical base64url
 * segments) against a key from the JWKS, and returns its claims.
 * The signature: node:crypto's one-shot `verify`, synchronously. jose's
 * `jwtVerify` goes through WebCrypto (a job on libuv's pool, a promise per
 * step): measured here, 192 µs per ES256 verification against 68 µs for
 * this path (3 000 in a row, one process) — the largest cost of a new JWT at a micro gateway.
 * The key must have been imported for the header's `alg` (jose's `importJWK`
 * binds the two); it is checked again here, so a key never verifies under an
 * algorithm it was not made for.
 * The claims: jose's own claims-set validation, the one `jwtVerify` runs
 * (iss, aud, exp, nbf, iat, typ, required claims, clock tolerance), reached
 * through `UnsecuredJWT.decode` on the verified payload under an `alg: none`
 * header that carries the token's `typ`. Its errors are jose's, for the caller to map.
 */
export function verifyCompact(jws: string, header: Readonly<Record<string, unknown>>, key: CryptoKey, claims: JWTClaimVerificationOptions): JWTPayload {
  const { alg } = header;
  if (!isSigningAlgorithm(alg)) throw invalid('alg_not_allowed', 'the token algorithm is not allowed');
  const params = NODE_SIGNATURE_PARAMS[alg];
  if (key.algorithm.name !== params.cryptoKey || (alg === 'ES256' && (key.algorithm as { namedCurve?: string }).namedCurve !== 'P-256')) {
    throw invalid('alg_mismatch', 'the token algorithm does not fit its key');
  }
  // a JWKS key whose key_ops leave out "verify" (RFC 7517 §4.3; jose imports it with those usages) verifies nothing, as jose's own check had it
  if (!key.usages.includes('verify')) throw invalid('key_usage', 'the token key is not for verification');
  // no JWS extension is understood here (RFC 7515 §4.1.11): a token that names one is refused
  if (header.crit !== undefined) throw invalid('not_supported', 'the access token names critical header extensions');
  let nodeKey = nodeKeys.get(key);
  if (!nodeKey) {
    nodeKey = KeyObject.from(key as unknown as webcrypto.CryptoKey);
    nodeKeys.set(key, nodeKey);
  }
  const first = jws.indexOf('.');
  const last = jws.lastIndexOf('.');
  let valid = false;
  try {
    valid = verify(params.digest, Buffer.from(jws.slice(0, last)), { key: nodeKey, ...params.options }, Buffer.from(jws.slice(last + 1), 'base64url'));
  } catch { /* a signature of the wrong size: not valid */ }
  if (!valid) throw invalid('signature');
  const typed = Buffer.from(JSON.stringify({ alg: 'none', typ: header.typ })).toString('base64url');
  return UnsecuredJWT.decode(`${typed}.${jws.slice(first + 1, last)}.`, claims).payload;
}
