import type { EdgeConfig } from '../../../libs/config/index.js';
import { loadPublicKey, type Keyring } from '../../../libs/keys/index.js';
import { createMinter, recipientFromJwks, type AudienceEncryption, type Minter } from '../../../libs/minting/index.js';

/** The minter for one configuration: audiences, TTL, pass-through claims, per-audience encryption. */
export function buildMinter(config: EdgeConfig, file: string, keys: Keyring, stats: { signatures: number; hits: number }): Minter {
  const encryption: Record<string, AudienceEncryption> = {};
  for (const [audience, { encryption: e }] of Object.entries(config.audiences)) {
    if (!e) continue;
    const fromFile = e.keyFile ? loadPublicKey(e.keyFile, { field: `audiences.${audience}.encryption.keyFile`, configFile: file }) : undefined;
    encryption[audience] = {
      alg: e.alg, enc: e.enc,
      recipient: fromFile ? () => fromFile : recipientFromJwks(e.jwksUrl!, e.alg, { timeoutMs: e.jwksTimeoutMs, maxAgeSeconds: e.jwksMaxAgeSeconds }),
    };
  }
  return createMinter({
    keys, issuer: config.issuer, ttlSeconds: config.minting.ttlSeconds, audiences: config.audiences,
    passThroughClaims: config.minting.passThroughClaims, maxEntries: config.minting.cacheMaxEntries, encryption, stats,
  });
}
