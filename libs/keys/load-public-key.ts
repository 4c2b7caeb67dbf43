import { readFileSync } from 'node:fs';
import { createPublicKey, type KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { ConfigError } from '../config/index.js';

/** Loads a public key (PEM SPKI, or a public JWK) from a file; mistakes are ConfigErrors naming the field. */
export function loadPublicKey(file: string, options: { field: string; configFile: string }): { key: KeyObject; kid?: string | undefined } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(options.configFile, [`${options.field}: cannot read key file ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  try {
    if (text.startsWith('{')) {
      const jwk = JSON.parse(text) as JWK;
      return { key: createPublicKey({ key: jwk as import('node:crypto').JsonWebKey, format: 'jwk' }), kid: jwk.kid };
    }
    return { key: createPublicKey(text) };
  } catch (err) {
    throw new ConfigError(options.configFile, [`${options.field}: key file ${file} is not a usable public key (${(err as Error).message})`]);
  }
}
