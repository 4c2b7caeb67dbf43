export { loadPrivateKey, fromKeyObject, publicPart, type LoadedKey, type SigningAlgorithm } from './load-private-key.js';
export { loadSigningKeys, generateKeyObject, type SigningKeys, type SigningKeyConfig } from './signing-keys.js';
export { createKeyring, type Keyring } from './keyring.js';
export { loadPublicKey } from './load-public-key.js';
export { loadDecryptionKey, type DecryptionKey } from './load-decryption-key.js';
export { SIGNING_ALGORITHMS, KEY_MANAGEMENT_ALGORITHMS, NODE_SIGNATURE_PARAMS, type KeyManagementAlgorithm } from './algorithms.js';
