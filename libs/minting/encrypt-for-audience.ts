import type { KeyObject } from 'node:crypto';
import { CompactEncrypt, importJWK, type CryptoKey, type JWK } from 'jose';
import { GatewayError } from '../errors/index.js';
import { createSingleFlight } from '../cache/index.js';
import { boundedKeysFetch } from '../proxy/index.js';

import type { KeyManagementAlgorithm } from '../keys/algorithms.js';

export type { KeyManagementAlgorithm };

export interface RecipientKey { key: KeyObject | CryptoKey; kid?: string | undefined }

export interface AudienceEncryption {
  alg: KeyManagementAlgorithm;
  enc: 'A256GCM';
  /** the recipient's public key; may be fetched (and so fail with 503) */
  recipient(): RecipientKey | Promise<RecipientKey>;
}

const encoder = new TextEncoder();

/** Wraps a signed JWT in a JWE (nested JWT, RFC 7519 §5.2: `cty: "JWT"`). */
export async function encryptJwt(jws: string, encryption: AudienceEncryption): Promise<string> {
  const { key, kid } = await encryption.recipient();
  return new CompactEncrypt(encoder.encode(jws))
    .setProtectedHeader({ alg: encryption.alg, enc: encryption.enc, cty: 'JWT', ...(kid ? { kid } : {}) })
    .encrypt(key);
}

/**
 * A recipient key taken from a micro gateway's JWKS (`use: "enc"`, fitting
 * `alg`), fetched on first use and refreshed after `maxAgeSeconds`
 * (boundedKeysFetch: at most 1 MiB, no redirect followed); the last good key
 * keeps serving while the endpoint is down.
 */
export function recipientFromJwks(url: string, alg: KeyManagementAlgorithm, options: { timeoutMs: number; maxAgeSeconds: number; now?: () => number }): () => Promise<RecipientKey> {
  const now = options.now ?? Date.now;
  const flight = createSingleFlight<RecipientKey>();
  let current: { key: RecipientKey; fetchedAt: number } | undefined;

  async function fetchKey(): Promise<RecipientKey> {
    const response = await boundedKeysFetch()(url, { signal: AbortSignal.timeout(options.timeoutMs), headers: { accept: 'application/jwk-set+json, application/json' } });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const { keys } = await response.json() as { keys?: JWK[] };
    const jwk = (keys ?? []).find((k) => (k.use === 'enc' || k.use === undefined) && (k.alg === alg || k.alg === undefined) && (alg === 'RSA-OAEP-256' ? k.kty === 'RSA' : k.kty === 'EC' || k.kty === 'OKP'));
    if (!jwk) throw new Error(`no ${alg} encryption key in ${url}`);
    return { key: await importJWK(jwk, alg) as CryptoKey, kid: jwk.kid };
  }

  return async () => {
    if (current && now() - current.fetchedAt < options.maxAgeSeconds * 1000) return current.key;
    try {
      const key = await flight.run('jwks', fetchKey).promise;
      current = { key, fetchedAt: now() };
      return key;
    } catch (err) {
      if (current) return current.key;
      throw new GatewayError('upstream_unavailable', 'the recipient encryption key could not be fetched', { reason: 'encryption_key_unavailable', cause: err });
    }
  };
}
