import { readFileSync } from 'node:fs';
import { createPrivateKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ConfigError } from '../config/index.js';
import { publicPart } from './load-private-key.js';
import type { KeyManagementAlgorithm } from './algorithms.js';

export interface DecryptionKey {
  key: KeyObject;
  alg: KeyManagementAlgorithm;
  /** the public half with kid, alg and use "enc", as published for the edge */
  publicJwk: JWK;
}

/** A JWE recipient's private key: EC (P-256/384/521) or X25519 for ECDH-ES, RSA ≥ 2048 for RSA-OAEP-256. */
export async function loadDecryptionKey(file: string, alg: DecryptionKey['alg'], options: { field: string; configFile: string }): Promise<DecryptionKey> {
  const fail = (why: string) => new ConfigError(options.configFile, [`${options.field}: ${why}`]);
  let text: string;
  try { text = readFileSync(file, 'utf8').trim(); } catch (err) { throw fail(`cannot read key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`); }
  let key: KeyObject;
  try {
    key = text.startsWith('{') ? createPrivateKey({ key: JSON.parse(text) as JsonWebKey, format: 'jwk' }) : createPrivateKey(text);
  } catch (err) { throw fail(`key file ${file} is not a usable private key (${(err as Error).message})`); }
  const type = key.asymmetricKeyType;
  if (alg === 'RSA-OAEP-256' && !(type === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048)) throw fail(`${alg} needs an RSA key of at least 2048 bits`);
  if (alg === 'ECDH-ES+A256KW' && type !== 'ec' && type !== 'x25519') throw fail(`${alg} needs an EC or X25519 key, found ${type}`);
  const publicJwk = publicPart(key.export({ format: 'jwk' }) as JWK);
  return { key, alg, publicJwk: { ...publicJwk, kid: await calculateJwkThumbprint(publicJwk), alg, use: 'enc' } };
}
