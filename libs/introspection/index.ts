export { createAsClient, asUnavailable, type AsClient, type AsClientOptions, type JwtResponseMode } from './as-client.js';
export { createAsClientFromConfig } from './as-client-from-config.js';
export { createClientAuth, bearerAuth, basicCredentials, minimalEncode, type ClientAuthConfig, type ClientAuthMethod, type BasicEncoding, type BearerTokenSource } from './client-auth.js';
export { createBearerToken, BearerTokenError, type BearerTokenOptions } from './bearer-token.js';
export { normalizeIntrospection, MalformedIntrospectionError, type ResponseTolerance } from './normalize-response.js';
export { acceptToken, type AcceptanceRules } from './accept-token.js';
export { createIntrospectionCache, type IntrospectionCache, type CachedIntrospection, type CacheOutcome } from './introspection-cache.js';
export { createJwtAccessTokenLookup, type JwtAccessTokenOptions } from './jwt-access-tokens.js';
export { createTokenLookupFromConfig } from './token-lookup-from-config.js';
