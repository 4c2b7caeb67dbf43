import { z } from 'zod';
import { policySchema } from './policy-schema.js';
import { SIGNING_ALGORITHMS } from '../keys/algorithms.js';
import { rateLimitSchema, throttleSchema } from './rate-limit-schema.js';
import { workersNeedRedisFanOut, adminSchema, durationMs, httpUrl, keyManagementAlgorithm, loggingSchema, routeBase, serverSchema, headersSchema, signingAlgorithm, stripHeadersSchema, uniqueRouteNames, upstreamSchema, upstreamUrl } from './schema-parts.js';
import { tracingSchema } from './tracing-schema.js';
import { revocationSchema } from '../revocation/revocation-schema.js';

export const microConfigSchema = z.strictObject({
  server: serverSchema.prefault({}),
  admin: adminSchema.prefault({}),
  revocation: revocationSchema.optional().describe('revocation push: admin API, denylist, fan-out (README "Scaling out")'),
  realm: z.string().default('phantom-micro').describe('the realm of WWW-Authenticate challenges'),
  audience: z.string().min(1).describe('this domain\'s audience: a JWT\'s `aud` must contain it'),
  jwks: z.strictObject({
    url: httpUrl.describe('the edge\'s /.well-known/jwks.json'),
    timeoutMs: z.number().int().positive().default(2000).describe('JWKS fetch timeout'),
    minAgeSeconds: z.number().int().nonnegative().default(30).describe('bounds applied to the JWKS response\'s Cache-Control max-age'),
    maxAgeSeconds: z.number().int().positive().default(600).describe('upper bound applied to the JWKS response\'s max-age'),
    unknownKidCooldownSeconds: z.number().nonnegative().default(10).describe('at most one refetch for an unknown kid per this many seconds'),
    maxStaleSeconds: z.number().int().nonnegative().default(86_400).describe('how long the last good keys keep serving while the JWKS endpoint is down'),
  }),
  verification: z.strictObject({
    issuer: z.string().min(1).describe('the edge\'s issuer: `iss` must equal it'),
    algorithms: z.array(signingAlgorithm).min(1).default([...SIGNING_ALGORITHMS]).describe('signature algorithms accepted'),
    clockSkewSeconds: z.number().int().nonnegative().max(300).default(5).describe('tolerance for exp/nbf/iat'),
    maxLifetimeSeconds: z.number().int().positive().default(300).describe('the longest `exp − iat` accepted'),
    cacheMaxEntries: z.number().int().positive().default(100_000).describe('most verified JWTs kept'),
    maxTokenLength: z.number().int().positive().default(8192).describe('longest JWT accepted; longer → 400'),
  }),
  /** JWE (nested JWT) from the edge: decrypted with this domain's private key first */
  encryption: z.strictObject({
    mode: z.enum(['required', 'optional']).default('required').describe('required: refuse plain JWS; optional: accept both'),
    keyFile: z.string().min(1).describe('this domain\'s private decryption key, PEM or JWK'),
    alg: keyManagementAlgorithm.default('ECDH-ES+A256KW'),
    publish: z.boolean().default(true).describe('publish the public half at /.well-known/jwks.json for the edge'),
    jwksMaxAgeSeconds: z.number().int().nonnegative().default(300).describe('`Cache-Control: max-age` of the published key at /.well-known/jwks.json'),
  }).optional(),
  backend: upstreamUrl.describe('the backend this micro gateway protects'),
  forwardJwt: z.boolean().default(true).describe('pass the verified JWT on to the backend in Authorization'),
  claimHeaders: z.record(z.string(), z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name')).default({}).describe('claim → header, for backends that do not verify JWTs'),
  routes: z.array(z.strictObject({
    ...routeBase,
    stripPrefix: z.boolean().default(false).describe('remove pathPrefix from the path sent to the backend'),
    rateLimit: rateLimitSchema.optional().describe('e.g. perClient: { limit: 20, per: 1s } — client = client_id, else sub (see README, Throttling)'),
    requireSenderConstraint: z.boolean().default(false).describe('only JWTs for which the edge checked a proof of possession (mTLS-bound or DPoP token); others get 403'),
    policy: policySchema.optional().describe('authorization beyond scopes: claim rules and an external PDP (README "Policies")'),
    /** protects the backend: requests in flight, a bounded queue, a maximum wait */
    concurrency: z.strictObject({
      max: z.number().int().positive(),
      queue: z.number().int().nonnegative().default(0),
      maxWait: durationMs.prefault('5s'),
    }).optional(),
  })).min(1),
  throttle: z.strictObject(throttleSchema).prefault({}),
  upstream: upstreamSchema.prefault({}),
  stripHeaders: stripHeadersSchema,
  headers: headersSchema.prefault({}),
  logging: loggingSchema.prefault({}),
  tracing: tracingSchema.prefault({}).describe('OpenTelemetry trace export (see "Tracing")'),
}).superRefine((config, ctx) => { uniqueRouteNames(config.routes, ctx); workersNeedRedisFanOut(config, ctx); });

export type MicroConfig = z.output<typeof microConfigSchema>;
export type MicroRouteConfig = MicroConfig['routes'][number];
