import { readFileSync } from 'node:fs';
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, importJWK, type CryptoKey, type JWK } from 'jose';
import { ConfigError } from '../config/index.js';

import type { SigningAlgorithm } from './algorithms.js';

export type { SigningAlgorithm };

export interface LoadedKey {
  kid: string;
  alg: SigningAlgorithm;
  privateKey: CryptoKey;
  /** the public half, as published in a JWKS (kid, alg, use set) */
  publicJwk: JWK;
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

export function publicPart(jwk: JWK): JWK {
  const out: JWK = { ...jwk };
  for (const member of PRIVATE_MEMBERS) delete (out as Record<string, unknown>)[member];
  return out;
}

function algFor(key: KeyObject, requested: SigningAlgorithm | undefined): SigningAlgorithm {
  const type = key.asymmetricKeyType;
  const natural: Record<string, SigningAlgorithm[]> = {
    ec: ['ES256'], ed25519: ['EdDSA'], rsa: ['RS256', 'PS256'], 'rsa-pss': ['PS256'],
  };
  const fits = natural[type ?? ''] ?? [];
  if (type === 'ec' && key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`EC keys must use the P-256 curve, found ${key.asymmetricKeyDetails?.namedCurve}`);
  }
  if ((type === 'rsa' || type === 'rsa-pss') && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    throw new Error('RSA keys must have at least 2048 bits');
  }
  if (fits.length === 0) throw new Error(`unsupported key type ${type}`);
  if (requested && !fits.includes(requested)) throw new Error(`a ${type} key cannot sign ${requested}`);
  return requested ?? fits[0]!;
}

/** Makes a LoadedKey out of a Node KeyObject (from a PEM, a JWK or a fresh generation). */
export async function fromKeyObject(key: KeyObject, options: { kid?: string | undefined; alg?: SigningAlgorithm | undefined } = {}): Promise<LoadedKey> {
  const alg = algFor(key, options.alg);
  const jwk = key.export({ format: 'jwk' }) as JWK;
  const publicJwk = publicPart(jwk);
  const kid = options.kid ?? await calculateJwkThumbprint(publicJwk);
  const privateKey = await importJWK({ ...jwk, alg }, alg) as CryptoKey;
  return { kid, alg, privateKey, publicJwk: { ...publicJwk, kid, alg, use: 'sig' } };
}

/**
 * Loads a private key from a PEM (PKCS#8, or SEC1/PKCS#1) or JWK file. The
 * key's kind and size are checked (P-256, Ed25519, RSA ≥ 2048); the kid
 * defaults to the RFC 7638 thumbprint. Mistakes are ConfigErrors naming the file.
 */
export async function loadPrivateKey(file: string, options: { kid?: string | undefined; alg?: SigningAlgorithm | undefined; field: string; configFile: string }): Promise<LoadedKey> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(options.configFile, [`${options.field}: cannot read key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    const trimmed = text.trim();
    const key = trimmed.startsWith('{')
      ? createPrivateKey({ key: JSON.parse(trimmed) as import('node:crypto').JsonWebKey, format: 'jwk' })
      : createPrivateKey(trimmed);
    const kid = options.kid ?? (trimmed.startsWith('{') ? (JSON.parse(trimmed) as JWK).kid : undefined);
    return await fromKeyObject(key, { kid, alg: options.alg });
  } catch (err) {
    throw new ConfigError(options.configFile, [`${options.field}: key file ${file} is not a usable private key (${(err as Error).message})`]);
  }
}

export { exportJWK };
