import type { IntrospectionResponse } from 'oauth4webapi';
import { LRUCache } from 'lru-cache';
import { tokenHash } from '../cache/index.js';
import { hasCanonicalShape, type Verifier } from '../verification/index.js';
import type { IntrospectionCache } from './introspection-cache.js';

export interface JwtAccessTokenOptions {
  /** the opaque-token path, used for everything that is not a JWT from `issuer` */
  introspection: IntrospectionCache;
  /**
   * RFC 9068 verification against the AS's JWKS (built on first use: the JWKS URL may come from
   * discovery). Give it the smallest cache: results are cached here, under the token's hash.
   */
  verifier(): Verifier | Promise<Verifier>;
  /** the AS issuer: only JWTs whose `iss` is exactly this are validated locally */
  issuer: string;
  /**
   * `always`: a locally valid JWT is introspected too (revocation is seen); `never`: local validation only;
   * `per-route`: introspected on the routes that ask for it (lookup option `introspectJwt`), local elsewhere
   */
  introspect: 'always' | 'never' | 'per-route';
  maxEntries: number;
  now?: () => number;
}

/** a verified AS JWT's facts, until its exp */
interface Entry { result: IntrospectionResponse; untilMs: number }

const decoder = new TextDecoder();

/** `iss` of a JWS-shaped token without verifying anything; undefined when it is not a readable JWT. */
function peekIssuer(token: string): string | undefined {
  if (!hasCanonicalShape(token, 'jws')) return undefined;
  try {
    const payload = JSON.parse(decoder.decode(Buffer.from(token.slice(token.indexOf('.') + 1, token.lastIndexOf('.')), 'base64url'))) as { iss?: unknown };
    return typeof payload.iss === 'string' ? payload.iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The edge's token lookup with JWT access tokens on: a JWT whose `iss` is the
 * AS is verified locally (RFC 9068: typ at+jwt, the AS's JWKS, algorithm
 * allow-list, exact iss, aud = requiredAudience, exp, maximum lifetime; the
 * micro gateways' verifier and JWKS cache), then optionally introspected; any
 * other token is introspected as before. Facts come out in the introspection
 * shape, so acceptance, scopes and minting are unchanged. Like the
 * introspection cache, results are kept under the token's SHA-256, never the
 * token, and a hit is synchronous.
 */
export function createJwtAccessTokenLookup(options: JwtAccessTokenOptions): IntrospectionCache {
  const { introspection } = options;
  const now = options.now ?? Date.now;
  const entries = new LRUCache<string, Entry>({ max: options.maxEntries });
  let verifier: Verifier | undefined;

  const always = options.introspect === 'always';
  const perRoute = options.introspect === 'per-route';

  async function verify(token: string, hash: string, peer: string | undefined, introspect: boolean) {
    verifier ??= await options.verifier();
    const { claims } = await verifier.verify(token);
    const result = Object.freeze({ ...claims, active: true, token_type: 'Bearer' }) as IntrospectionResponse;
    entries.set(hash, { result, untilMs: claims.exp! * 1000 });
    if (introspect) return introspection.lookup(token, peer);
    return { hash, result, outcome: 'miss' as const };
  }

  return {
    get stats() { return introspection.stats; },
    get size() { return introspection.size + entries.size; },
    lookup(token, peer, lookupOptions) {
      const hash = tokenHash(token);
      const entry = entries.get(hash);
      // only verified JWTs are kept: a flood of other tokens cannot evict them (a shape check, or a
      // payload parse for a JWS-shaped token, is cheaper than a signature check)
      if (!entry && peekIssuer(token) !== options.issuer) return introspection.lookup(token, peer);
      // only after the local checks: a JWT that fails them never reaches the AS
      const introspect = always || (perRoute && lookupOptions?.introspectJwt === true);
      if (entry && now() < entry.untilMs) {
        return introspect ? introspection.lookup(token, peer) : { hash, result: entry.result, outcome: 'hit' };
      }
      return verify(token, hash, peer, introspect);
    },
  };
}
