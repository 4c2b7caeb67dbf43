import { mintedJti } from '../revocation/minted-jti.js';
import { LRUCache } from 'lru-cache';
import { createSingleFlight } from '../cache/index.js';
import type { LoadedKey } from '../keys/index.js';
import { buildClaims, type TokenFacts } from './build-claims.js';
import { encryptJwt, type AudienceEncryption } from './encrypt-for-audience.js';
import { signCompact } from './sign-compact.js';

export interface MinterOptions {
  /** read on every mint, so a rotated key takes over at once */
  keys: { readonly active: LoadedKey };
  issuer: string;
  ttlSeconds: number;
  /** audience → the scopes it knows */
  audiences: Readonly<Record<string, { readonly scopes: readonly string[] }>>;
  passThroughClaims: readonly string[];
  maxEntries: number;
  /** audiences whose JWTs are wrapped in a JWE (nested JWT) */
  encryption?: Readonly<Record<string, AudienceEncryption>>;
  /** counters to add to (kept across a reload that replaces the minter) */
  stats?: { signatures: number; hits: number };
  now?: () => number;
}

export interface MintResult {
  jwt: string;
  cached: boolean;
}

export interface Minter {
  /**
   * A JWT for this token and audience: from the cache while > 10 % of its
   * lifetime is left (synchronously), else freshly signed (one signature
   * shared by concurrent callers). Under 20 % left, the cached JWT still
   * serves while one background signature replaces it (refresh ahead), so a
   * token in steady use never waits for a re-mint.
   */
  mint(tokenHash: string, facts: TokenFacts, audience: string): MintResult | Promise<MintResult>;
  readonly stats: { signatures: number; hits: number };
}

interface Minted { jwt: string; iat: number; exp: number }

/** under this share of its lifetime left, a cached JWT is replaced in the background while it still serves */
const REFRESH_AHEAD = 0.2;
/** under this share left, it no longer serves: the caller waits for the new one (the micro gateways get time to use it) */
const SERVE_UNTIL = 0.1;
const ignore = () => {};

export function createMinter(options: MinterOptions): Minter {
  const now = options.now ?? Date.now;
  const scopesByAudience = new Map(Object.entries(options.audiences).map(([aud, a]) => [aud, new Set(a.scopes)]));
  const cache = new LRUCache<string, Minted>({ max: options.maxEntries });
  const flights = createSingleFlight<Minted>();
  const stats = options.stats ?? { signatures: 0, hits: 0 };

  async function sign(tokenHash: string, facts: TokenFacts, audience: string): Promise<Minted> {
    const { active } = options.keys;
    const claims = buildClaims({
      facts, audience, issuer: options.issuer, ttlSeconds: options.ttlSeconds,
      audienceScopes: scopesByAudience.get(audience) ?? new Set(),
      nowSeconds: Math.floor(now() / 1000), jti: mintedJti(tokenHash), passThroughClaims: options.passThroughClaims,
    });
    // ECDSA in its one canonical (low-s) spelling: the micro gateways refuse the other (high-s)
    const jws = await signCompact(active, claims);
    stats.signatures++;
    const encryption = options.encryption?.[audience];
    const jwt = encryption ? await encryptJwt(jws, encryption) : jws;
    return { jwt, iat: claims.iat!, exp: claims.exp! };
  }

  function signAndStore(key: string, tokenHash: string, facts: TokenFacts, audience: string): Promise<Minted> {
    return flights.run(key, () => sign(tokenHash, facts, audience).then((minted) => {
      cache.set(key, minted, { ttl: Math.max(1, (minted.exp - now() / 1000) * 1000) });
      return minted;
    })).promise;
  }

  return {
    stats,
    mint(tokenHash, facts, audience) {
      const key = `${tokenHash}|${audience}|${options.keys.active.kid}`;
      const hit = cache.get(key);
      if (hit) {
        const left = hit.exp - now() / 1000;
        const lifetime = hit.exp - hit.iat;
        if (left > lifetime * SERVE_UNTIL) {
          // one background re-mint per key (single-flight); a failure leaves the cached JWT serving until the next try
          if (left <= lifetime * REFRESH_AHEAD) signAndStore(key, tokenHash, facts, audience).catch(ignore);
          stats.hits++;
          return { jwt: hit.jwt, cached: true };
        }
      }
      return signAndStore(key, tokenHash, facts, audience).then((minted) => ({ jwt: minted.jwt, cached: false }));
    },
  };
}
