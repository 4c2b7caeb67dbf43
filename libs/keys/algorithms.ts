/** The JWS algorithms the gateways sign and verify with: the one list the schema, loaders and verifier use. */
export const SIGNING_ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'PS256'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** The JWE key-management algorithms for nested JWTs (edge → micro). */
export const KEY_MANAGEMENT_ALGORITHMS = ['ECDH-ES+A256KW', 'RSA-OAEP-256'] as const;
export type KeyManagementAlgorithm = (typeof KEY_MANAGEMENT_ALGORITHMS)[number];
