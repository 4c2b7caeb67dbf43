import { z } from 'zod';
import { policySchema } from './policy-schema.js';
import { adminSchema, httpUrl, keyManagementAlgorithm, loggingSchema, routeBase, serverSchema, headersSchema, signingAlgorithm, stripHeadersSchema, upstreamSchema } from './schema-parts.js';

const authorizationServer = z.strictObject({
  /** the AS issuer; its metadata is discovered (RFC 8414, then OpenID discovery) */
  issuer: httpUrl,
  clientId: z.string().min(1),
  clientSecret: z.string().min(1).optional(),
  clientAuth: z.enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt']).default('client_secret_basic'),
  /** PEM (PKCS#8) or JWK file of the private key, for private_key_jwt */
  privateKeyFile: z.string().optional(),
  privateKeyAlg: signingAlgorithm.default('ES256'),
  timeoutMs: z.number().int().positive().default(2000),
  /** RFC 8707: when set, the token's own `aud` must include this resource */
  requiredAudience: z.string().optional(),
  /** allow a plain-http issuer (development only) */
  allowHttp: z.boolean().default(false),
}).superRefine((as, ctx) => {
  if (as.clientAuth !== 'private_key_jwt' && !as.clientSecret) {
    ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: `required for clientAuth ${as.clientAuth}` });
  }
  if (as.clientAuth === 'private_key_jwt' && !as.privateKeyFile) {
    ctx.addIssue({ code: 'custom', path: ['privateKeyFile'], message: 'required for clientAuth private_key_jwt' });
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
    /** authorization beyond scopes: claim rules and an external PDP (README "Policies") */
    policy: policySchema.optional(),
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
