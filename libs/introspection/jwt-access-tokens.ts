import type { IntrospectionResponse } from 'oauth4webapi';
import type { JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { tokenHash } from '../cache/index.js';
import { hasCanonicalShape, type Verifier } from '../verification/index.js';
import type { CachedIntrospection, IntrospectionCache } from './introspection-cache.js';

export interface JwtAccessTokenOptions {
  /** the opaque-token path, used for everything that is not a JWT from `issuer` */
  introspection: IntrospectionCache;
  /** RFC 9068 verification against the AS's JWKS (built on first use: the JWKS URL may come from discovery) */
  verifier(): Verifier | Promise<Verifier>;
  /** the AS issuer: only JWTs whose `iss` is exactly this are validated locally */
  issuer: string;
  /** `always`: a locally valid JWT is introspected too (revocation is seen); `never`: local validation only */
  introspect: 'always' | 'never';
  /** how many tokens' "is it one of the AS's JWTs?" decisions are remembered */
  maxEntries: number;
}

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
 * shape, so acceptance, scopes and minting are unchanged. Cache hits stay
 * synchronous: the verifier caches by token, the decision and facts here too.
 */
export function createJwtAccessTokenLookup(options: JwtAccessTokenOptions): IntrospectionCache {
  const { introspection } = options;
  const isLocal = new LRUCache<string, boolean>({ max: options.maxEntries });
  const facts = new WeakMap<JWTPayload, { hash: string; result: IntrospectionResponse }>();
  let verifier: Verifier | undefined;

  function asFacts(token: string, claims: JWTPayload, cached: boolean): CachedIntrospection | Promise<CachedIntrospection> {
    let known = facts.get(claims);
    if (!known) facts.set(claims, known = { hash: tokenHash(token), result: Object.freeze({ ...claims, active: true, token_type: 'Bearer' }) as IntrospectionResponse });
    if (options.introspect === 'always') return introspection.lookup(token);
    return { hash: known.hash, result: known.result, outcome: cached ? 'hit' : 'miss' };
  }

  function verifyWith(v: Verifier, token: string): CachedIntrospection | Promise<CachedIntrospection> {
    const verified = v.verify(token);
    return verified instanceof Promise
      ? verified.then((r) => asFacts(token, r.claims, false))
      : asFacts(token, verified.claims, true);
  }

  return {
    get stats() { return introspection.stats; },
    get size() { return introspection.size; },
    lookup(token) {
      let local = isLocal.get(token);
      if (local === undefined) isLocal.set(token, local = peekIssuer(token) === options.issuer);
      if (!local) return introspection.lookup(token);
      if (verifier) return verifyWith(verifier, token);
      const built = options.verifier();
      if (built instanceof Promise) return built.then((v) => { verifier = v; return verifyWith(v, token); });
      verifier = built;
      return verifyWith(built, token);
    },
  };
}
