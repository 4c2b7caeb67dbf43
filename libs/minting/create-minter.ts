import { mintedJti } from '../revocation/minted-jti.js';
import { SignJWT } from 'jose';
import { LRUCache } from 'lru-cache';
import { createSingleFlight } from '../cache/index.js';
import type { LoadedKey } from '../keys/index.js';
import { buildClaims, type TokenFacts } from './build-claims.js';
import { encryptJwt, type AudienceEncryption } from './encrypt-for-audience.js';
import { toLowS } from '../verification/ecdsa-low-s.js';

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
   * shared by concurrent callers).
   */
  mint(tokenHash: string, facts: TokenFacts, audience: string): MintResult | Promise<MintResult>;
  readonly stats: { signatures: number; hits: number };
}

interface Minted { jwt: string; iat: number; exp: number }

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
    const jws = toLowS(active.alg, await new SignJWT(claims)
      .setProtectedHeader({ alg: active.alg, kid: active.kid, typ: 'at+jwt' })
      .sign(active.privateKey));
    stats.signatures++;
    const encryption = options.encryption?.[audience];
    const jwt = encryption ? await encryptJwt(jws, encryption) : jws;
    return { jwt, iat: claims.iat!, exp: claims.exp! };
  }

  return {
    stats,
    mint(tokenHash, facts, audience) {
      const key = `${tokenHash}|${audience}|${options.keys.active.kid}`;
      const nowSeconds = now() / 1000;
      const hit = cache.get(key);
      // re-mint when less than 10 % of the lifetime is left
      if (hit && hit.exp - nowSeconds > (hit.exp - hit.iat) * 0.1) {
        stats.hits++;
        return { jwt: hit.jwt, cached: true };
      }
      return flights.run(key, () => sign(tokenHash, facts, audience).then((minted) => {
        cache.set(key, minted, { ttl: Math.max(1, (minted.exp - now() / 1000) * 1000) });
        return minted;
      })).promise.then((minted) => ({ jwt: minted.jwt, cached: false }));
    },
  };
}
