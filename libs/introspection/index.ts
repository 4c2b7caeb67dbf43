export { createAsClient, asUnavailable, type AsClient, type AsClientOptions, type ClientAuthMethod } from './as-client.js';
export { acceptToken, type AcceptanceRules } from './accept-token.js';
export { createIntrospectionCache, type IntrospectionCache, type CachedIntrospection, type CacheOutcome } from './introspection-cache.js';
export { createMissGuard, type MissGuard, type MissGuardOptions } from './miss-guard.js';
