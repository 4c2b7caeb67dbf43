import { z } from 'zod';
import { adminSchema, httpUrl, keyManagementAlgorithm, loggingSchema, routeBase, serverSchema, headersSchema, signingAlgorithm, stripHeadersSchema, upstreamSchema } from './schema-parts.js';
import { revocationSchema } from '../revocation/revocation-schema.js';

const clientAuthMethod = z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']);

const authorizationServer = z.strictObject({
  /** the AS issuer; its metadata is discovered (RFC 8414, then OpenID discovery) unless introspectionEndpoint is set */
  issuer: httpUrl,
  /** skip discovery: introspect here (see README "Authorization Servers") */
  introspectionEndpoint: httpUrl.optional(),
  /** without discovery: the token endpoint, for clientAuth bearer */
  tokenEndpoint: httpUrl.optional(),
  /** without discovery: the AS's JWKS, for signed introspection answers (jwtResponse) */
  jwksUri: httpUrl.optional(),
  /** rediscover the metadata this often, in the background (0 = never) */
  metadataRefreshSeconds: z.number().int().nonnegative().default(3600),
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  clientAuth: z.enum([...clientAuthMethod.options, 'bearer']).default('client_secret_basic'),
  clientSecretBasic: z.strictObject({
    /** minimal: encode only % + (and : in the id); form: RFC 6749 §2.3.1; raw: no encoding */
    encoding: z.enum(['minimal', 'form', 'raw']).default('minimal'),
  }).prefault({}),
  /** clientAuth bearer: the edge's own token, by client credentials */
  bearer: z.strictObject({
    /** the scope the AS requires of introspection callers */
    scope: z.string().min(1),
    /** how the edge authenticates at the token endpoint */
    tokenEndpointAuth: clientAuthMethod.default('client_secret_basic'),
    /** renew the token this long before it expires */
    renewBeforeSeconds: z.number().int().nonnegative().default(60),
  }).optional(),
  /** PEM (PKCS#8) or JWK file of the private key, for private_key_jwt */
  privateKeyFile: z.string().optional(),
  privateKeyAlg: signingAlgorithm.default('ES256'),
  /** RFC 9701 signed introspection answers: auto (when the metadata offers them), require, off */
  jwtResponse: z.enum(['auto', 'require', 'off']).default('auto'),
  /** answer shapes outside RFC 7662, accepted only when switched on */
  tolerate: z.strictObject({
    scopeArray: z.boolean().default(false),
    spaceSeparatedAudience: z.boolean().default(false),
  }).prefault({}),
  /** RFC 9068 JWT access tokens from this AS validated locally (off: every token is introspected) */
  jwtAccessTokens: z.strictObject({
    enabled: z.boolean().default(false),
    /** always: also introspect a locally valid JWT (sees revocation); never: local validation only */
    introspect: z.enum(['never', 'always']).default('never'),
    algorithms: z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
    clockSkewSeconds: z.number().int().nonnegative().default(5),
    /** the longest exp − iat accepted */
    maxLifetimeSeconds: z.number().int().positive().default(86_400),
  }).prefault({}),
  timeoutMs: z.number().int().positive().default(2000),
  /** RFC 8707: when set, the token's own `aud` must include this resource */
  requiredAudience: z.string().optional(),
  /** allow a plain-http issuer (development only) */
  allowHttp: z.boolean().default(false),
}).superRefine((as, ctx) => {
  const secretAuth = as.clientAuth === 'bearer' ? as.bearer?.tokenEndpointAuth : as.clientAuth;
  const field = as.clientAuth === 'bearer' ? 'bearer.tokenEndpointAuth' : 'clientAuth';
  if (secretAuth !== 'private_key_jwt' && secretAuth !== undefined && !as.clientSecret) {
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
  /** PEM (PKCS#8) or JWK file of the private signing key */
  file: z.string().min(1),
  kid: z.string().min(1).optional(),
  alg: signingAlgorithm.optional(),
  /** retired keys sign nothing but stay published until their tokens have expired */
  retired: z.boolean().default(false),
});

export const edgeConfigSchema = z.strictObject({
  /** development mode: allows a generated signing key */
  development: z.boolean().default(false),
  server: serverSchema.prefault({}),
  admin: adminSchema.prefault({}),
  /** revocation push: admin API, denylist, fan-out (README "Scaling out") */
  revocation: revocationSchema.optional(),
  /** the `iss` of every minted JWT: this edge's public identifier */
  issuer: httpUrl,
  realm: z.string().default('phantom-edge'),
  authorizationServer,
  introspection: z.strictObject({
    cacheMaxEntries: z.number().int().positive().default(100_000),
    cacheMaxTtlSeconds: z.number().positive().default(300),
    inactiveCacheTtlSeconds: z.number().nonnegative().default(10),
    inactiveCacheMaxEntries: z.number().int().positive().default(10_000),
    maxTokenLength: z.number().int().positive().default(4096),
    /** keep serving an expired cache entry this long while the AS is unreachable (0 = off; see README) */
    serveStaleSeconds: z.number().int().nonnegative().default(0),
  }).prefault({}),
  minting: z.strictObject({
    ttlSeconds: z.number().int().positive().max(3600).default(60),
    algorithm: signingAlgorithm.default('ES256'),
    /** introspection claims copied into every minted JWT */
    passThroughClaims: z.array(z.string()).default([]),
    cacheMaxEntries: z.number().int().positive().default(100_000),
  }).prefault({}),
  keys: z.strictObject({
    /** generate an ephemeral signing key at start (development only) */
    generate: z.boolean().default(false),
    signing: z.array(signingKey).default([]),
    /** `Cache-Control: max-age` of /.well-known/jwks.json */
    jwksMaxAgeSeconds: z.number().int().nonnegative().default(300),
  }).prefault({}),
  /** every audience a JWT can be minted for, with the scopes it knows */
  audiences: z.record(z.string(), z.strictObject({
    scopes: z.array(z.string()).default([]),
    /** wrap this audience's JWTs in a JWE (nested JWT) for the recipient's public key */
    encryption: z.strictObject({
      /** the recipient's public key, PEM or JWK */
      keyFile: z.string().min(1).optional(),
      /** or the micro gateway's JWKS (a key with use "enc") */
      jwksUrl: httpUrl.optional(),
      alg: keyManagementAlgorithm.default('ECDH-ES+A256KW'),
      enc: z.enum(['A256GCM']).default('A256GCM'),
    }).refine((e) => (e.keyFile === undefined) !== (e.jwksUrl === undefined), { message: 'give exactly one of keyFile and jwksUrl' }).optional(),
  })),
  routes: z.array(z.strictObject({
    ...routeBase,
    /** the micro gateway that serves this route */
    upstream: httpUrl,
    audience: z.string().min(1),
    stripPrefix: z.boolean().default(false),
  })).min(1),
  upstream: upstreamSchema.prefault({}),
  stripHeaders: stripHeadersSchema,
  headers: headersSchema.prefault({}),
  logging: loggingSchema.prefault({}),
}).superRefine((config, ctx) => {
  config.routes.forEach((route, i) => {
    if (!(route.audience in config.audiences)) {
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'audience'], message: `audience "${route.audience}" is not declared under audiences` });
    }
  });
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
