import { randomUUID } from 'node:crypto';

/** base64url characters of the opaque token's SHA-256 carried at the front of a minted `jti` (132 bits) */
export const JTI_HASH_CHARS = 22;

/**
 * The `jti` the edge gives a JWT minted for an opaque token: a prefix of the
 * token's SHA-256 (irreversible, as in the edge's own cache keys), a dot and a
 * random UUID. A micro gateway told that a token (by its SHA-256) is revoked
 * then refuses the JWTs minted from it that are still in flight.
 */
export function mintedJti(tokenHash: string): string {
  return `${tokenHash.slice(0, JTI_HASH_CHARS)}.${randomUUID()}`;
}

/** the token-hash prefix of a minted `jti`, or undefined for any other `jti` */
export function tokenHashOfJti(jti: unknown): string | undefined {
  return typeof jti === 'string' && jti.length > JTI_HASH_CHARS + 1 && jti.charCodeAt(JTI_HASH_CHARS) === 46 ? jti.slice(0, JTI_HASH_CHARS) : undefined;
}
