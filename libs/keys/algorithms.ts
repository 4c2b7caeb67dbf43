import { constants } from 'node:crypto';

/** The JWS algorithms the gateways sign and verify with: the one list the schema, loaders and verifier use. */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/**
 * node:crypto's spelling of each JWS algorithm (RFC 7518 §3), for its one-shot
 * `sign` and `verify`, and the WebCrypto algorithm a key imported for it has
 * (jose imports JWKs as CryptoKeys): the one table signing and verification share.
 */
export const NODE_SIGNATURE_PARAMS = {
  ES256: { digest: 'sha256', options: { dsaEncoding: 'ieee-p1363' }, cryptoKey: 'ECDSA' },
  EdDSA: { digest: null, options: {}, cryptoKey: 'Ed25519' },
  RS256: { digest: 'sha256', options: {}, cryptoKey: 'RSASSA-PKCS1-v1_5' },
  PS256: { digest: 'sha256', options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, cryptoKey: 'RSA-PSS' },
} as const satisfies Record<SigningAlgorithm, unknown>;

/** The JWE key-management algorithms for nested JWTs (edge → micro). */
export const KEY_MANAGEMENT_ALGORITHMS = ['ECDH-ES+A256KW', 'RSA-OAEP-256'] as const;
export type KeyManagementAlgorithm = (typeof KEY_MANAGEMENT_ALGORITHMS)[number];
