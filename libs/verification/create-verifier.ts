import { jwtVerify, errors as joseErrors, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { GatewayError, isGatewayError } from '../errors/index.js';
import { tokenHash } from '../cache/index.js';
import type { JwksCache } from './jwks-cache.js';
import { hasCanonicalShape } from './token-shape.js';

export interface VerifierOptions {
  jwks: Pick<JwksCache, 'getKey'>;
  issuer: string;
  audience: string;
  algorithms: readonly string[];
  clockSkewSeconds: number;
  maxLifetimeSeconds: number;
  cacheMaxEntries: number;
  now?: () => number;
}

export interface VerifiedToken {
  claims: JWTPayload;
  cached: boolean;
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

function invalid(reason: string, description = 'the access token is invalid'): GatewayError {
  return new GatewayError('invalid_token', description, { reason });
}

/**
 * Strict RFC 9068 / RFC 8725 verification: canonical shape first, then jose
 * with an algorithm allow-list, exact iss, aud, typ at+jwt, exp required,
 * nbf/iat with skew, a maximum lifetime. Keys come only from the JWKS cache,
 * never from the token (jku, x5u, jwk, x5c are ignored). Verified tokens are
 * cached by hash until their exp.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const now = options.now ?? Date.now;
  const cache = new LRUCache<string, JWTPayload>({ max: options.cacheMaxEntries });
  const stats = { verifications: 0, hits: 0 };
  const algorithms = [...options.algorithms];

  return {
    stats,
    verify(token) {
      const hash = tokenHash(token);
      const hit = cache.get(hash);
      if (hit && now() / 1000 < hit.exp! + options.clockSkewSeconds) {
        stats.hits++;
        return { claims: hit, cached: true };
      }
      return verifyAndStore(token, hash);
    },
  };

  async function verifyAndStore(token: string, hash: string): Promise<VerifiedToken> {
      if (!hasCanonicalShape(token, 'jws')) throw invalid('shape', 'the access token is not a well-formed JWS');
      stats.verifications++;
      let claims: JWTPayload;
      try {
        ({ payload: claims } = await jwtVerify(token, options.jwks.getKey, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          typ: 'at+jwt',
          clockTolerance: options.clockSkewSeconds,
          requiredClaims: ['exp', 'iat', 'iss', 'aud'],
          currentDate: new Date(now()),
        }));
      } catch (err) {
        if (isGatewayError(err)) throw err;
        const code = (err as { code?: string }).code ?? '';
        throw invalid(REASONS[code] ?? 'invalid', code === joseErrors.JWTExpired.code ? 'the access token has expired' : 'the access token is invalid');
      }
      if (claims.exp! - claims.iat! > options.maxLifetimeSeconds) throw invalid('lifetime', 'the access token lifetime is too long');
      if (claims.iat! > now() / 1000 + options.clockSkewSeconds) throw invalid('iat_future', 'the access token was issued in the future');
      cache.set(hash, claims, { ttl: Math.max(1, (claims.exp! - now() / 1000) * 1000) });
      return { claims, cached: false };
  }
}
