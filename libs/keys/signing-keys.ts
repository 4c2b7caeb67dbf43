import { createECDH, createPrivateKey, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
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

/** PKCS #8 for an Ed25519 private key, before its 32-byte seed (RFC 8410 §7) */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/**
 * A new private key. EC and Ed25519 keys are built from fresh key material
 * rather than by Node's key-generation job: on Node 20 a process hung for good
 * when a GC finalized the finished job while the same key was being exported
 * as a JWK (the export holds the key's mutex across V8 allocations, the job's
 * destructor takes it; seen once in CI, in libs/minting/low-s.test.ts, with
 * gdb). RSA keys still come from generateKeyPairSync.
 */
export function generateKeyObject(alg: SigningAlgorithm): KeyObject {
  if (alg === 'ES256') {
    const ecdh = createECDH('prime256v1');
    const point = ecdh.generateKeys(); // 0x04 ‖ x ‖ y
    const raw = ecdh.getPrivateKey();
    const d = Buffer.alloc(32);
    raw.copy(d, 32 - raw.length);
    const b64 = (bytes: Buffer) => bytes.toString('base64url');
    return createPrivateKey({ key: { kty: 'EC', crv: 'P-256', x: b64(point.subarray(1, 33)), y: b64(point.subarray(33, 65)), d: b64(d) }, format: 'jwk' });
  }
  if (alg === 'EdDSA') return createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, randomBytes(32)]), format: 'der', type: 'pkcs8' });
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
