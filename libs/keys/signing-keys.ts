import { generateKeyPairSync } from 'node:crypto';
import type { JSONWebKeySet } from 'jose';
import { fromKeyObject, loadPrivateKey, type LoadedKey, type SigningAlgorithm } from './load-private-key.js';

export interface SigningKeyConfig {
  file: string;
  kid?: string | undefined;
  alg?: SigningAlgorithm | undefined;
  retired: boolean;
}

export interface SigningKeys {
  /** the key that signs every new JWT */
  readonly active: LoadedKey;
  /** active plus retired keys: what /.well-known/jwks.json publishes */
  readonly published: readonly LoadedKey[];
  jwks(): JSONWebKeySet;
}

export function generateKeyObject(alg: SigningAlgorithm) {
  if (alg === 'ES256') return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  if (alg === 'EdDSA') return generateKeyPairSync('ed25519').privateKey;
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
}

/** Builds the key set from files, or (development only) one generated key. */
export async function loadSigningKeys(options: {
  configFile: string;
  keys: readonly SigningKeyConfig[];
  generate: boolean;
  algorithm: SigningAlgorithm;
}): Promise<SigningKeys> {
  const loaded: { key: LoadedKey; retired: boolean }[] = [];
  for (const [i, k] of options.keys.entries()) {
    const key = await loadPrivateKey(k.file, { kid: k.kid, alg: k.alg ?? (k.retired ? undefined : options.algorithm), field: `keys.signing[${i}]`, configFile: options.configFile });
    loaded.push({ key, retired: k.retired });
  }
  if (options.generate && !loaded.some((k) => !k.retired)) {
    loaded.push({ key: await fromKeyObject(generateKeyObject(options.algorithm), { alg: options.algorithm }), retired: false });
  }
  const active = loaded.find((k) => !k.retired)!.key;
  const published = loaded.map((k) => k.key);
  const document = Object.freeze({ keys: published.map((k) => k.publicJwk) });
  return { active, published, jwks: () => document };
}
