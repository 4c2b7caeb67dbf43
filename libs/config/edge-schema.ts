import { z } from 'zod';
import { policySchema } from './policy-schema.js';
import { upstreamTlsSchema } from './tls-schema.js';
import { rateLimitSchema, throttleSchema } from './rate-limit-schema.js';
import { sharedCacheSchema } from '../introspection/shared-cache-schema.js';
import { workersNeedRedisFanOut, adminSchema, durationMs, headersSchema, httpUrl, keyManagementAlgorithm, loggingSchema, routeBase, serverSchema, signingAlgorithm, stripHeadersSchema, uniqueRouteNames, upstreamSchema, upstreamUrl } from './schema-parts.js';
import { tracingSchema } from './tracing-schema.js';
import { revocationSchema } from '../revocation/revocation-schema.js';

const clientAuthMethod = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'tls_client_auth', 'self_signed_tls_client_auth']);
const TLS_METHODS: readonly string[] = ['tls_client_auth', 'self_signed_tls_client_auth'];

const authorizationServer = z.strictObject({
  issuer: httpUrl.describe('the AS issuer; its metadata is discovered (RFC 8414, then OpenID discovery) unless introspectionEndpoint is set'),
  introspectionEndpoint: httpUrl.optional().describe('skip discovery: introspect here (see README "Authorization Servers")'),
  tokenEndpoint: httpUrl.optional().describe('without discovery: the token endpoint, for clientAuth bearer'),
  jwksUri: httpUrl.optional().describe('without discovery: the AS\'s JWKS, for signed introspection answers (jwtResponse)'),
  metadataRefreshSeconds: z.number().int().nonnegative().default(3600).describe('rediscover the metadata this often, in the background (0 = never)'),
  clientId: z.string().min(1).describe('the client id the edge authenticates with at the AS'),
  clientSecret: z.string().min(1).optional().describe('its secret (client_secret_basic, client_secret_post); use ${VAR} for secrets'),
  clientAuth: z.enum([...clientAuthMethod.options, 'bearer']).default('client_secret_basic').describe('client authentication at the introspection endpoint (bearer: a token of its own, see bearer)'),
  clientSecretBasic: z.strictObject({
    encoding: z.enum(['minimal', 'form', 'raw']).default('minimal').describe('minimal: encode only % + (and : in the id); form: RFC 6749 §2.3.1; raw: no encoding'),
  }).prefault({}),
  bearer: z.strictObject({
    scope: z.string().min(1).describe('the scope the AS requires of introspection callers'),
    tokenEndpointAuth: clientAuthMethod.default('client_secret_basic').describe('how the edge authenticates at the token endpoint'),
    renewBeforeSeconds: z.number().int().nonnegative().default(60).describe('renew the token this long before it expires'),
  }).optional().describe('clientAuth bearer: the edge\'s own token, by client credentials'),
  privateKeyFile: z.string().optional().describe('PEM (PKCS#8) or JWK file of the private key, for private_key_jwt'),
  tls: upstreamTlsSchema.optional().describe('TLS towards an https AS: the CA its certificate must chain to, and the client certificate the edge presents (required for tls_client_auth, self_signed_tls_client_auth; RFC 8705 §2)'),
  privateKeyAlg: signingAlgorithm.default('ES256'),
  jwtResponse: z.enum(['auto', 'require', 'off']).default('auto').describe('RFC 9701 signed introspection answers: auto (when the metadata offers them), require, off'),
  tolerate: z.strictObject({
    scopeArray: z.boolean().default(false).describe('accept `scope` as a JSON array'),
    spaceSeparatedAudience: z.boolean().default(false).describe('read a string `aud` as space-separated audiences'),
  }).prefault({}).describe('answer shapes outside RFC 7662, accepted only when switched on'),
  jwtAccessTokens: z.strictObject({
    enabled: z.boolean().default(false).describe('RFC 9068 JWT access tokens from this AS validated locally (off: every token is introspected)'),
    introspect: z.enum(['never', 'always', 'per-route']).default('never').describe('always: also introspect a locally valid JWT (sees revocation); never: local validation only; per-route: introspect on routes with introspectJwtAccessTokens'),
    algorithms: z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']).describe('signature algorithms accepted on JWT access tokens'),
    clockSkewSeconds: z.number().int().nonnegative().default(5).describe('tolerance for exp/nbf/iat of JWT access tokens'),
    maxLifetimeSeconds: z.number().int().positive().default(86_400).describe('the longest exp − iat accepted'),
  }).prefault({}),
  timeoutMs: z.number().int().positive().default(2000).describe('introspection timeout; past it the client gets 503'),
  requiredAudience: z.string().optional().describe('RFC 8707: when set, the token\'s own `aud` must include this resource'),
  allowHttp: z.boolean().default(false).describe('allow a plain-http issuer (development only)'),
}).superRefine((as, ctx) => {
  const secretAuth = as.clientAuth === 'bearer' ? as.bearer?.tokenEndpointAuth : as.clientAuth;
  const field = as.clientAuth === 'bearer' ? 'bearer.tokenEndpointAuth' : 'clientAuth';
  if (secretAuth !== undefined && TLS_METHODS.includes(secretAuth) && !as.tls?.certFile) {
    ctx.addIssue({ code: 'custom', path: ['tls', 'certFile'], message: `required for ${field} ${secretAuth} (the client certificate, with keyFile)` });
  }
  if (as.tls && !as.issuer.startsWith('https:') && !as.introspectionEndpoint?.startsWith('https:')) {
    ctx.addIssue({ code: 'custom', path: ['tls'], message: 'only used with an https issuer or introspectionEndpoint' });
  }
  if (secretAuth !== 'private_key_jwt' && secretAuth !== undefined && !TLS_METHODS.includes(secretAuth) && !as.clientSecret) {
    ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `required for ${field} ${secretAuth}` });
  }
  if (secretAuth === 'private_key_jwt' && !as.privateKeyFile) {
    ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: `required for ${field} private_key_jwt` });
  }
  if (as.clientAuth === 'bearer' && !as.bearer) {
    ctx.addIssue({ code: 'custom', path: ['bearer'], message: 'required for clientAuth bearer (at least bearer.scope)' });
  }
  if (as.clientAuth === 'bearer' && as.introspectionEndpoint && !as.tokenEndpoint) {
    ctx.addIssue({ code: 'custom', path: ['tokenEndpoint'], message: 'required for clientAuth bearer when introspectionEndpoint skips discovery' });
  }
  if (as.jwtResponse === 'require' && as.introspectionEndpoint && !as.jwksUri) {
    ctx.addIssue({ code: 'custom', path: ['jwksUri'], message: 'required for jwtResponse require when introspectionEndpoint skips discovery' });
  }
  if (as.jwtAccessTokens.enabled && !as.requiredAudience) {
    ctx.addIssue({ code: 'custom', path: ['requiredAudience'], message: 'required for jwtAccessTokens (the `aud` a JWT access token must carry, RFC 9068)' });
  }
  if (as.clientSecretBasic.encoding === 'raw' && as.clientId.includes(':')) {
    ctx.addIssue({ code: 'custom', path: ['clientSecretBasic', 'encoding'], message: 'raw cannot send a client id that contains ":"; use minimal or form' });
  }
});

const signingKey = z.strictObject({
  file: z.string().min(1).describe('PEM (PKCS#8) or JWK file of the private signing key'),
  kid: z.string().min(1).optional().describe('key id published in the JWKS (default: the JWK thumbprint)'),
  alg: signingAlgorithm.optional(),
  retired: z.boolean().default(false).describe('retired keys sign nothing but stay published until their tokens have expired'),
});

export const edgeConfigSchema = z.strictObject({
  development: z.boolean().default(false).describe('development mode: allows a generated signing key'),
  server: serverSchema.prefault({}),
  admin: adminSchema.prefault({}),
  revocation: revocationSchema.optional().describe('revocation push: admin API, denylist, fan-out (README "Scaling out")'),
  issuer: httpUrl.describe('the `iss` of every minted JWT: this edge\'s public identifier'),
  realm: z.string().default('phantom-edge').describe('the realm of WWW-Authenticate challenges'),
  authorizationServer,
  introspection: z.strictObject({
    cacheMaxEntries: z.number().int().positive().default(100_000).describe('most active introspection results kept'),
    cacheMaxTtlSeconds: z.number().positive().default(300).describe('an active result is cached for min(this, exp − now)'),
    inactiveCacheTtlSeconds: z.number().nonnegative().default(10).describe('inactive results are cached this long, in a separate bounded cache'),
    inactiveCacheMaxEntries: z.number().int().positive().default(10_000).describe('most inactive results kept'),
    maxTokenLength: z.number().int().positive().default(4096).describe('longest opaque token accepted; longer → 400'),
    serveStaleSeconds: z.number().int().nonnegative().default(0).describe('keep serving an expired cache entry this long while the AS is unreachable (0 = off; see README)'),
    clockSkewSeconds: z.number().int().nonnegative().max(300).default(0).describe('tolerance for the introspected `exp`/`nbf` against this host\'s clock'),
    maxConcurrentCalls: z.number().int().positive().default(64).describe('introspection calls (cache misses) in flight at once; more → 503 with Retry-After'),
    unknownTokensPerPeer: z.strictObject({ limit: z.number().int().positive(), per: durationMs }).prefault({ limit: 20, per: 1 })
      .describe('unknown (uncached) tokens one peer address may present: `limit` per `per` (GCRA); more → 429 with Retry-After, before any introspection'),
    sharedCache: sharedCacheSchema.optional().describe('a Redis L2 shared by every edge, with one introspection per new token cluster-wide (README "Scaling out")'),
  }).prefault({}),
  fairness: z.strictObject({
    maxInFlightPerClient: z.number().int().positive().default(64).describe('one client (client_id, else peer address) holds at most this many requests in flight; more → 429 with Retry-After'),
  }).prefault({}),
  minting: z.strictObject({
    ttlSeconds: z.number().int().positive().max(3600).default(60).describe('lifetime of a minted JWT, never past the opaque token\'s exp'),
    algorithm: signingAlgorithm.default('ES256'),
    passThroughClaims: z.array(z.string()).default([]).describe('introspection claims copied into every minted JWT'),
    cacheMaxEntries: z.number().int().positive().default(100_000).describe('most minted JWTs kept (one per token and audience)'),
  }).prefault({}),
  keys: z.strictObject({
    generate: z.boolean().default(false).describe('generate an ephemeral signing key at start (development only)'),
    signing: z.array(signingKey).default([]).describe('the signing key files: exactly one active, others retired'),
    jwksMaxAgeSeconds: z.number().int().nonnegative().default(300).describe('`Cache-Control: max-age` of /.well-known/jwks.json'),
  }).prefault({}),
  /** every audience a JWT can be minted for, with the scopes it knows */
  audiences: z.record(z.string(), z.strictObject({
    scopes: z.array(z.string()).default([]).describe('the scopes this audience knows; its JWTs carry only these'),
    /** wrap this audience's JWTs in a JWE (nested JWT) for the recipient's public key */
    encryption: z.strictObject({
      keyFile: z.string().min(1).optional().describe('the recipient\'s public key, PEM or JWK'),
      jwksUrl: httpUrl.optional().describe('or the micro gateway\'s JWKS (a key with use "enc")'),
      alg: keyManagementAlgorithm.default('ECDH-ES+A256KW'),
      enc: z.enum(['A256GCM']).default('A256GCM').describe('content encryption'),
      jwksTimeoutMs: z.number().int().positive().default(2000).describe('timeout for fetching the recipient\'s JWKS (jwksUrl)'),
      jwksMaxAgeSeconds: z.number().int().positive().default(300).describe('how long a key fetched from jwksUrl is reused'),
    }).refine((e) => (e.keyFile === undefined) !== (e.jwksUrl === undefined), { message: 'give exactly one of keyFile and jwksUrl' }).optional(),
  })),
  routes: z.array(z.strictObject({
    ...routeBase,
    upstream: upstreamUrl.describe('the micro gateway that serves this route'),
    upstreamTls: upstreamTlsSchema.optional().describe('TLS towards this route\'s https upstream; default: upstream.tls'),
    audience: z.string().min(1).describe('the audience (declared under audiences) a JWT is minted for'),
    stripPrefix: z.boolean().default(false).describe('remove pathPrefix from the path sent upstream'),
    rateLimit: rateLimitSchema.optional().describe('per-client and per-route rate limits, checked before minting (see README, Throttling)'),
    policy: policySchema.optional().describe('authorization beyond scopes: claim rules and an external PDP (README "Policies")'),
    introspectJwtAccessTokens: z.boolean().default(false).describe('with authorizationServer.jwtAccessTokens.introspect per-route: also introspect locally valid JWT access tokens on this (revocation-sensitive) route'),
  })).min(1),
  throttle: z.strictObject(throttleSchema).prefault({}),
  /** sender-constrained tokens (RFC 8705 certificate-bound, RFC 9449 DPoP); see "TLS and proof of possession" */
  proofOfPossession: z.strictObject({
    forwardedCertificateHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name').optional().describe('a TLS-terminating proxy in server.trustedProxies forwards the client certificate in this header (RFC 9440 Client-Cert, or URL-encoded PEM)'),
    /** RFC 9449: accept `Authorization: DPoP <token>` with a `DPoP` proof (a DPoP-bound token is refused as Bearer either way) */
    dpop: z.strictObject({
      enabled: z.boolean().default(false),
      algorithms: z.array(z.enum(['ES256', 'ES384', 'EdDSA', 'PS256', 'RS256'])).min(1).default(['ES256', 'EdDSA', 'PS256', 'RS256']),
      iatWindowSeconds: z.number().int().positive().max(600).default(60).describe('a proof\'s iat may be this far from now, either way; proofs\' jti are remembered this long'),
      replayCacheMaxEntries: z.number().int().positive().default(100_000),
      requireNonce: z.boolean().default(false).describe('require a server nonce (401 use_dpop_nonce with DPoP-Nonce)'),
      nonceSecret: z.string().min(16).optional().describe('HMAC secret of the nonces, shared by every edge instance (use ${VAR}); default: random per process'),
      nonceLifetimeSeconds: z.number().int().positive().default(300),
    }).prefault({}),
  }).prefault({}),
  upstream: upstreamSchema.prefault({}),
  stripHeaders: stripHeadersSchema,
  headers: headersSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  tracing: tracingSchema.prefault({}).describe('OpenTelemetry trace export (see "Tracing")'),
}).superRefine((config, ctx) => {
  uniqueRouteNames(config.routes, ctx);
  const jwt = config.authorizationServer.jwtAccessTokens;
  workersNeedRedisFanOut(config, ctx);
  config.routes.forEach((route, i) => {
    if (route.introspectJwtAccessTokens && !(jwt.enabled && jwt.introspect === 'per-route')) {
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'introspectJwtAccessTokens'], message: 'only used with authorizationServer.jwtAccessTokens enabled and introspect: per-route' });
    }
    if (!(route.audience in config.audiences)) {
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'audience'], message: `audience "${route.audience}" is not declared under audiences` });
    }
  });
  if (config.keys.generate && config.server.workers !== 1) {
    ctx.addIssue({ code: 'custom', path: ['keys', 'generate'], message: 'each worker would sign with a key of its own: give keys.signing files with server.workers other than 1' });
  }
  if (config.keys.generate && !config.development) {
    ctx.addIssue({ code: 'custom', path: ['keys', 'generate'], message: 'a generated signing key is allowed only with development: true' });
  }
  const active = config.keys.signing.filter((k) => !k.retired);
  if (!config.keys.generate && active.length !== 1) {
    ctx.addIssue({ code: 'custom', path: ['keys', 'signing'], message: `expected exactly one active (not retired) signing key, found ${active.length}` });
  }
});

export type EdgeConfig = z.output<typeof edgeConfigSchema>;
export type EdgeRouteConfig = EdgeConfig['routes'][number];
