import { GatewayError } from '../errors/index.js';
import type { CachedIntrospection, IntrospectionCache } from '../introspection/index.js';
import type { VerifiedToken, Verifier } from '../verification/index.js';
import { tokenHashOfJti } from './minted-jti.js';
import type { RevocationStore } from './revocation-store.js';

const revoked = (kind: string) => new GatewayError('invalid_token', 'the access token was revoked', { reason: `revoked_${kind}` });

/**
 * The edge's revocation check, right after the token lookup: a revoked token,
 * subject or client is refused (401 invalid_token) even while its
 * introspection result and minted JWT are still cached. Synchronous on a hit.
 */
export function guardIntrospection(inner: IntrospectionCache, store: RevocationStore): IntrospectionCache {
  const check = (looked: CachedIntrospection): CachedIntrospection => {
    if (store.size === 0 || looked.result.active !== true) return looked;
    const { result } = looked;
    // the subject as the minted JWT names it: sub, else client_id (RFC 9068 §2.2)
    const kind = store.refuses(looked.hash, { sub: result.sub ?? result.client_id, client_id: result.client_id, iat: result.iat });
    if (kind) throw revoked(kind);
    return looked;
  };
  return {
    get stats() { return inner.stats; },
    get size() { return inner.size; },
    lookup(token, peer, options) {
      const looked = inner.lookup(token, peer, options);
      return looked instanceof Promise ? looked.then(check) : check(looked);
    },
  };
}

/**
 * The micro gateway's revocation check after verification: refuses a JWT of a
 * revoked `sub`/`client_id` (issued at or before the revocation), a revoked
 * `jti`, or one minted from a revoked opaque token (the hash prefix in its `jti`).
 */
export function guardVerifier(inner: Verifier, store: RevocationStore): Verifier {
  const check = (verified: VerifiedToken): VerifiedToken => {
    const kind = store.refuses(tokenHashOfJti(verified.claims.jti), verified.claims);
    if (kind) throw revoked(kind);
    return verified;
  };
  return {
    get stats() { return inner.stats; },
    verify(token) {
      const verified = inner.verify(token);
      return verified instanceof Promise ? verified.then(check) : check(verified);
    },
  };
}
