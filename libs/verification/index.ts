export { createJwksCache, type JwksCache, type JwksCacheOptions, type JwksEvent } from './jwks-cache.js';
export { createVerifier, type Verifier, type VerifierOptions, type VerifiedToken } from './create-verifier.js';
export { hasCanonicalShape, isCanonicalBase64url } from './token-shape.js';
export { keyQualityProblem } from './key-quality.js';
export { isHighS, toLowS, toLowSInPlace } from './ecdsa-low-s.js';
