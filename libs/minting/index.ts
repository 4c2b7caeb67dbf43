export { buildClaims, senderConstraintOf, type TokenFacts, type ClaimsInput } from './build-claims.js';
export { createMinter, type Minter, type MinterOptions, type MintResult } from './create-minter.js';
export { encryptJwt, recipientFromJwks, type AudienceEncryption, type KeyManagementAlgorithm, type RecipientKey } from './encrypt-for-audience.js';
