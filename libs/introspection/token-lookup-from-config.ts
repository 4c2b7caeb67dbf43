import type { EdgeConfig } from '../config/index.js';
import { createJwksCache, createVerifier, type Verifier } from '../verification/index.js';
import { asUnavailable, type AsClient } from './as-client.js';
import type { IntrospectionCache } from './introspection-cache.js';
import { createJwtAccessTokenLookup } from './jwt-access-tokens.js';
import { asFetch } from './as-client-from-config.js';

type AsSection = EdgeConfig['authorizationServer'];

/**
 * The edge's token lookup: the introspection cache, or with
 * `jwtAccessTokens.enabled` the JWT-aware lookup in front of it (its JWKS URL
 * from `jwksUri` or the discovered `jwks_uri`, fetched on the first JWT).
 */
export function createTokenLookupFromConfig(as: AsSection, asClient: AsClient, introspection: IntrospectionCache, maxEntries: number): IntrospectionCache {
  const jwt = as.jwtAccessTokens;
  if (!jwt.enabled) return introspection;
  let building: Promise<Verifier> | undefined;
  const build = async (): Promise<Verifier> => {
    const url = as.jwksUri ?? (await asClient.discover()).jwks_uri;
    if (!url) throw asUnavailable('jwks_uri_unknown', new Error('the AS metadata has no jwks_uri (set authorizationServer.jwksUri)'));
    const jwks = createJwksCache({
      url, timeoutMs: as.timeoutMs, fetch: asFetch(as), minAgeSeconds: 60, maxAgeSeconds: 3600, unknownKidCooldownSeconds: 10, maxStaleSeconds: 86_400, algorithms: jwt.algorithms,
    });
    jwks.start();
    return createVerifier({
      jwks, issuer: as.issuer, audience: as.requiredAudience!, algorithms: jwt.algorithms,
      clockSkewSeconds: jwt.clockSkewSeconds, maxLifetimeSeconds: jwt.maxLifetimeSeconds,
      // the lookup caches results under the token's hash; the verifier's own cache (keyed by the token) stays minimal
      cacheMaxEntries: 1,
      // another issuer's ECDSA signatures: high-s is as valid as low-s there (the edge replaces the token either way)
      requireLowS: false,
    });
  };
  return createJwtAccessTokenLookup({
    introspection, issuer: as.issuer, introspect: jwt.introspect, maxEntries,
    verifier: () => (building ??= build().catch((err: unknown) => { building = undefined; throw err; })),
  });
}
