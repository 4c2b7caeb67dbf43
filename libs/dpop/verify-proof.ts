import { LRUCache } from 'lru-cache';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify, type JWK } from 'jose';
import { GatewayError } from '../errors/index.js';
import { createNonceSource } from './dpop-nonce.js';

export interface DpopOptions {
  /** JWS algorithms a proof may use */
  algorithms: readonly string[];
  /** how far a proof's `iat` may be from now, either way (seconds); also the replay cache's memory */
  iatWindowSeconds: number;
  replayCacheMaxEntries: number;
  /** require a server nonce (DPoP-Nonce / use_dpop_nonce) */
  requireNonce: boolean;
  nonceSecret?: string | undefined;
  nonceLifetimeSeconds?: number;
  now?: () => number;
}

export interface ProofRequest {
  /** every DPoP header value of the request */
  proofs: readonly string[];
  method: string;
  /** the request's URL without query and fragment, as the edge serves it (scheme, host, canonical path) */
  htu: string;
  /** base64url SHA-256 of the access token (the introspection cache key) */
  ath: string;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** origin + path of a URL, normalised (RFC 9449 §4.3 step 9: without query and fragment) */
export function normaliseHtu(value: string): string | undefined {
  try {
    const u = new URL(value);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a DPoP proof (RFC 9449 §4.3) for one request and returns the
 * RFC 7638 thumbprint of its key (to compare with the token's `cnf.jkt`):
 * exactly one proof; `typ: dpop+jwt`; an allowed algorithm; a public `jwk`
 * in the header and a valid signature with it; `htm`/`htu` equal to this
 * request; `iat` inside the window; `ath` = hash of the token; the server
 * nonce when required; a `jti` not seen within the window (bounded cache).
 */
export function createDpopVerifier(options: DpopOptions) {
  const now = options.now ?? Date.now;
  const algs = options.algorithms.join(' ');
  const windowMs = options.iatWindowSeconds * 1000;
  const seen = new LRUCache<string, true>({ max: options.replayCacheMaxEntries, ttl: windowMs * 2 });
  const nonces = createNonceSource({ secret: options.nonceSecret, lifetimeSeconds: options.nonceLifetimeSeconds ?? 300, now });
  const invalid = (description: string, reason: string) => new GatewayError('invalid_dpop_proof', description, { reason, dpopAlgs: algs });

  async function verify(req: ProofRequest): Promise<string> {
    if (req.proofs.length === 0) throw invalid('a DPoP proof is required with the DPoP scheme', 'dpop_missing');
    if (req.proofs.length > 1) throw invalid('more than one DPoP header', 'dpop_several');
    const proof = req.proofs[0]!;
    if (proof.length > 8192 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(proof)) throw invalid('the DPoP proof is not a compact JWS', 'dpop_malformed');
    let verified: Awaited<ReturnType<typeof jwtVerify>>;
    try {
      verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...options.algorithms] });
    } catch (err) {
      throw invalid(`the DPoP proof does not verify (${(err as { code?: string }).code === 'ERR_JOSE_ALG_NOT_ALLOWED' ? 'algorithm not allowed' : (err as Error).message})`, 'dpop_signature');
    }
    const jwk = verified.protectedHeader.jwk as JWK;
    if (PRIVATE_MEMBERS.some((m) => m in jwk)) throw invalid('the DPoP proof\'s jwk must be a public key', 'dpop_private_jwk');
    const { payload } = verified;
    if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) throw invalid('the DPoP proof has no usable jti', 'dpop_jti');
    if (payload.htm !== req.method) throw invalid('the DPoP proof is for another HTTP method', 'dpop_htm');
    if (typeof payload.htu !== 'string' || normaliseHtu(payload.htu) !== req.htu) throw invalid('the DPoP proof is for another URL', 'dpop_htu');
    if (typeof payload.iat !== 'number' || Math.abs(payload.iat * 1000 - now()) > windowMs) throw invalid('the DPoP proof\'s iat is outside the accepted window', 'dpop_iat');
    if (payload.ath !== req.ath) throw invalid('the DPoP proof is for another access token', 'dpop_ath');
    if (options.requireNonce && !nonces.valid(payload.nonce)) {
      throw new GatewayError('use_dpop_nonce', undefined, { reason: 'dpop_nonce', dpopAlgs: algs, headers: { 'dpop-nonce': nonces.current() } });
    }
    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    const key = `${thumbprint}.${payload.jti}`;
    if (seen.has(key)) throw invalid('the DPoP proof was already used', 'dpop_replay');
    seen.set(key, true);
    return thumbprint;
  }

  return { verify, algs, nonce: () => nonces.current(), get replayCacheSize() { return seen.size; } };
}

export type DpopVerifier = ReturnType<typeof createDpopVerifier>;
