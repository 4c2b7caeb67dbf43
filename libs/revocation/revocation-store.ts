import { LRUCache } from 'lru-cache';

/** What a revocation names: one opaque token (by its SHA-256), a subject, a client, or one minted JWT. */
export type RevocationKind = 'token_sha256' | 'sub' | 'client_id' | 'jti';
export const REVOCATION_KINDS: readonly RevocationKind[] = ['token_sha256', 'sub', 'client_id', 'jti'];

export interface Revocation {
  kind: RevocationKind;
  value: string;
  /** when it was revoked, epoch seconds: a `sub`/`client_id` revocation refuses tokens issued at or before it */
  at: number;
}

/** The facts of a token a revocation may match (introspection result or JWT claims). */
export interface TokenFacts { readonly sub?: unknown; readonly client_id?: unknown; readonly jti?: unknown; readonly iat?: unknown }

export interface RevocationStore {
  /** remembers a revocation for `retainSeconds`; false when it was already known */
  add(revocation: Revocation): boolean;
  /** the kind of revocation that refuses this token, if any (`hash`: the token's SHA-256, or its prefix in a minted `jti`) */
  refuses(hash: string | undefined, facts: TokenFacts): RevocationKind | undefined;
  readonly size: number;
}

export interface RevocationStoreOptions {
  /** how long a revocation matters: the longest a cached or minted token can still pass without it */
  retainSeconds: number;
  /** per kind; the oldest revocation goes first when full */
  maxEntries: number;
  /** keep only this many characters of a token hash (a micro gateway matches the prefix in a minted `jti`) */
  tokenHashChars?: number;
  now?: () => number;
}

/**
 * A bounded denylist. Token hashes and `jti`s are refused outright; `sub` and
 * `client_id` refuse every token issued at or before the revocation (a token
 * issued later, after a new login, passes), or any token without `iat`.
 * Checking an empty store costs one comparison.
 */
export function createRevocationStore(options: RevocationStoreOptions): RevocationStore {
  const now = options.now ?? Date.now;
  const lists = new Map<RevocationKind, LRUCache<string, number>>(REVOCATION_KINDS.map((kind) => [kind, new LRUCache<string, number>({
    max: options.maxEntries, ttl: options.retainSeconds * 1000, ttlAutopurge: false, ttlResolution: 0, perf: { now },
  })]));
  const list = (kind: RevocationKind) => lists.get(kind)!;
  let size = 0;
  const count = () => { size = 0; for (const l of lists.values()) size += l.size; };
  const issuedBefore = (kind: RevocationKind, value: unknown, iat: unknown): boolean => {
    if (typeof value !== 'string') return false;
    const at = list(kind).get(value);
    return at !== undefined && (typeof iat !== 'number' || iat <= at);
  };

  return {
    get size() { return size; },
    add({ kind, value, at }) {
      if (kind === 'token_sha256' && options.tokenHashChars) value = value.slice(0, options.tokenHashChars);
      const l = list(kind);
      const known = l.get(value);
      if (known !== undefined && known >= at) return false;
      l.set(value, at);
      count();
      return true;
    },
    refuses(hash, facts) {
      if (size === 0) return undefined;
      if (hash !== undefined && list('token_sha256').has(hash)) return 'token_sha256';
      if (typeof facts.jti === 'string' && list('jti').has(facts.jti)) return 'jti';
      if (issuedBefore('sub', facts.sub, facts.iat)) return 'sub';
      if (issuedBefore('client_id', facts.client_id, facts.iat)) return 'client_id';
      return undefined;
    },
  };
}
