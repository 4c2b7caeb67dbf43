export { createDpopVerifier, normaliseHtu, type DpopVerifier, type DpopOptions, type ProofRequest } from './verify-proof.js';
export { createNonceSource } from './dpop-nonce.js';
export { parseAuthorization } from './parse-authorization.js';
