export { loadPrivateKey, fromKeyObject, publicPart, type LoadedKey, type SigningAlgorithm } from './load-private-key.js';
export { loadSigningKeys, generateKeyObject, type SigningKeys, type SigningKeyConfig } from './signing-keys.js';
