import { compactDecrypt, errors as joseErrors, type JWTPayload } from 'jose';
import type { KeyObject } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { GatewayError, isGatewayError } from '../errors/index.js';
import type { JwksCache } from './jwks-cache.js';
import { hasCanonicalShape } from './token-shape.js';
import { isHighS } from './ecdsa-low-s.js';
import { invalid, verifyCompact } from './verify-compact.js';
import { createSingleFlight } from '../cache/index.js';

export interface VerifierOptions {
  jwks: Pick<JwksCache, 'getKey'>;
  issuer: string;
  audience: string;
  algorithms: readonly string[];
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  cacheMaxEntries: number;
  /**
   * refuse ECDSA signatures with s > n/2 (default true): right for the edge's own JWTs, which it signs low-s;
   * off for another issuer's tokens (an AS signing ES256 produces high-s signatures half the time)
   */
  requireLowS?: boolean | undefined;
  /** nested JWTs: decrypt with this key first; `required` refuses a plain JWS */
  decryption?: { mode: 'required' | 'optional'; key: KeyObject; alg: string } | undefined;
  now?: () => number;
}

/** A verification's answer; a cached one is shared by every request with that token: never changed by its reader. */
export interface VerifiedToken {
  readonly claims: JWTPayload;
  /** the signed JWT: the token itself, or what a JWE contained */
  readonly jws: string;
  readonly cached: boolean;
}

export interface Verifier {
  /** verifies an RFC 9068 access token; failures are 401 invalid_token (or 503 when keys are unavailable) */
  verify(token: string): VerifiedToken | Promise<VerifiedToken>;
  readonly stats: { verifications: number; hits: number };
}

const REASONS: Record<string, string> = {
  [joseErrors.JWTExpired.code]: 'expired',
  [joseErrors.JWTClaimValidationFailed.code]: 'claim',
  [joseErrors.JOSEAlgNotAllowed.code]: 'alg_not_allowed',
  [joseErrors.JWSSignatureVerificationFailed.code]: 'signature',
  [joseErrors.JOSENotSupported.code]: 'not_supported',
  [joseErrors.JWTInvalid.code]: 'claims_set',
  [joseErrors.JWSInvalid.code]: 'malformed',
};

const decoder = new TextDecoder();

/** the cache key of a token: its last segment (a signature or tag; the whole token when it has no dot) */
const lastSegment = (token: string) => token.slice(token.lastIndexOf('.') + 1);

/** the decoded protected header (first segment) of a compact token whose shape was checked; 401 when it is not a JSON object */
function protectedHeader(token: string): Record<string, unknown> {
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    if (header !== null && typeof header === 'object' && !Array.isArray(header)) return header as Record<string, unknown>;
  } catch { /* refused below */ }
  throw new GatewayError('invalid_token', 'the access token header is not a JSON object', { reason: 'header' });
}

/**
 * Strict RFC 9068 / RFC 8725 verification: canonical shape first, then an
 * algorithm allow-list, the signature (node:crypto, verify-compact.ts) and
 * jose's claims-set checks: exact iss, aud, typ at+jwt, exp required,
 * nbf/iat with skew, a maximum lifetime. Keys come only from the JWKS cache,
 * never from the token (jku, x5u, jwk, x5c are ignored). Verified tokens are
 * cached until their exp under their last segment (the signature, or a JWE's
 * tag), and a hit is the exact token that was verified (compared in full): a
 * Map hashes its whole string key on every lookup, and hashing the 700-byte
 * token cost more than the rest of a cache hit (~9 000 instructions under
 * callgrind, with the LRU bookkeeping). A token that shares the segment but
 * differs is a miss, verified in full; only a verified token is stored.
 * A hit returns the stored answer itself, no copy. Concurrent misses for one token
 * share one verification.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const requireLowS = options.requireLowS ?? true;
  const cache = new LRUCache<string, VerifiedToken & { token: string }>({ max: options.cacheMaxEntries });
  // requests that arrive together with one new JWT (a re-mint under load) share one verification
  const flights = createSingleFlight<VerifiedToken>();
  const stats = { verifications: 0, hits: 0 };
  const algorithms = [...options.algorithms];

  return {
    stats,
    verify(token) {
      const hit = cache.get(lastSegment(token));
      if (hit && hit.token === token && now() / 1000 < hit.claims.exp! + options.clockSkewSeconds) {
        stats.hits++;
        return hit;
      }
      return flights.run(token, () => verifyAndStore(token)).promise;
    },
  };

  /** the JWS inside a JWE (nested JWT), or the token itself */
  async function unwrap(token: string): Promise<string> {
    const { decryption } = options;
    let dots = 0;
    for (let i = token.indexOf('.'); i !== -1; i = token.indexOf('.', i + 1)) dots++;
    if (dots !== 4) {
      if (decryption?.mode === 'required') throw invalid('encryption_required', 'the access token must be encrypted');
      return token;
    }
    if (!decryption) throw invalid('encrypted', 'encrypted access tokens are not accepted here');
    if (!hasCanonicalShape(token, 'jwe')) throw invalid('shape', 'the access token is not a well-formed JWE');
    // a compressed JWE is refused before anything is decrypted or inflated (a small token must not become a large one)
    if ('zip' in protectedHeader(token)) throw invalid('zip', 'compressed access tokens are not accepted');
    try {
      const { plaintext, protectedHeader } = await compactDecrypt(token, decryption.key, {
        keyManagementAlgorithms: [decryption.alg], contentEncryptionAlgorithms: ['A256GCM'],
      });
      if (String(protectedHeader.cty).toUpperCase() !== 'JWT') throw invalid('cty', 'the encrypted access token does not contain a JWT');
      return decoder.decode(plaintext);
    } catch (err) {
      if (isGatewayError(err)) throw err;
      throw invalid('decrypt', 'the access token could not be decrypted');
    }
  }

  async function verifyAndStore(token: string): Promise<VerifiedToken> {
      const jws = await unwrap(token);
      if (!hasCanonicalShape(jws, 'jws')) throw invalid('shape', 'the access token is not a well-formed JWS');
      // one JWT, one spelling: an ECDSA signature with s > n/2 is the malleable twin of a valid one
      const header = protectedHeader(jws);
      const { alg } = header;
      if (requireLowS && typeof alg === 'string' && isHighS(alg, jws.slice(jws.lastIndexOf('.') + 1))) throw invalid('high_s', 'the access token signature is not in canonical form');
      stats.verifications++;
      let claims: JWTPayload;
      try {
        if (!algorithms.includes(alg as string)) throw invalid('alg_not_allowed', 'the token algorithm is not allowed');
        const key = await options.jwks.getKey(header);
        claims = verifyCompact(jws, header, key, {
          issuer: options.issuer,
          audience: options.audience,
          typ: 'at+jwt',
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ['exp', 'iat', 'iss', 'aud'],
          currentDate: new Date(now()),
        });
      } catch (err) {
        if (isGatewayError(err)) throw err;
        const code = (err as { code?: string }).code ?? '';
        throw invalid(REASONS[code] ?? 'invalid', code === joseErrors.JWTExpired.code ? 'the access token has expired' : 'the access token is invalid');
      }
      if (claims.exp! - claims.iat! > options.maxLifetimeSeconds) throw invalid('lifetime', 'the access token lifetime is too long');
      if (claims.iat! > now() / 1000 + options.clockSkewSeconds) throw invalid('iat_future', 'the access token was issued in the future');
      cache.set(lastSegment(token), { claims, jws, cached: true, token }, { ttl: Math.max(1, (claims.exp! - now() / 1000) * 1000) });
      return { claims, jws, cached: false };
  }
}
