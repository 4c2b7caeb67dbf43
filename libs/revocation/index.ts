export { createRevocationStore, REVOCATION_KINDS, type Revocation, type RevocationKind, type RevocationStore, type RevocationStoreOptions } from './revocation-store.js';
export { createRevocationService, type RevocationService, type RevocationSource } from './revocation-service.js';
export { createRevocationApi, type RevocationApiOptions } from './revocation-api.js';
export { createFanOut, parseRevocation, type FanOut, type FanOutOptions } from './fan-out.js';
export { guardIntrospection, guardVerifier } from './guard-lookups.js';
export { mintedJti, tokenHashOfJti, JTI_HASH_CHARS } from './minted-jti.js';
export { revocationSchema, type RevocationConfig } from './revocation-schema.js';
export { createRevocationFromConfig } from './revocation-from-config.js';
export { edgeRetainSeconds, microRetainSeconds, edgeExposureWindow } from './exposure-window.js';
