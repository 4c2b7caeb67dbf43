import { z } from 'zod';
import { adminSchema, durationMs, httpUrl, keyManagementAlgorithm, loggingSchema, routeBase, serverSchema, headersSchema, signingAlgorithm, stripHeadersSchema, upstreamSchema } from './schema-parts.js';
import { revocationSchema } from '../revocation/revocation-schema.js';

const rate = z.strictObject({ limit: z.number().int().positive(), per: durationMs });

export const microConfigSchema = z.strictObject({
  development: z.boolean().default(false),
  server: serverSchema.prefault({}),
  admin: adminSchema.prefault({}),
  /** revocation push: admin API, denylist, fan-out (README "Scaling out") */
  revocation: revocationSchema.optional(),
  realm: z.string().default('phantom-micro'),
  /** this domain's audience: a JWT's `aud` must contain it */
  audience: z.string().min(1),
  jwks: z.strictObject({
    /** the edge's /.well-known/jwks.json */
    url: httpUrl,
    timeoutMs: z.number().int().positive().default(2000),
    /** bounds applied to the JWKS response's Cache-Control max-age */
    minAgeSeconds: z.number().int().nonnegative().default(30),
    maxAgeSeconds: z.number().int().positive().default(600),
    /** at most one refetch for an unknown kid per this many seconds */
    unknownKidCooldownSeconds: z.number().nonnegative().default(10),
    /** how long the last good keys keep serving while the JWKS endpoint is down */
    maxStaleSeconds: z.number().int().nonnegative().default(86_400),
  }),
  verification: z.strictObject({
    /** the edge's issuer: `iss` must equal it */
    issuer: z.string().min(1),
    algorithms: z.array(signingAlgorithm).min(1).default(['ES256', 'EdDSA', 'RS256', 'PS256']),
    clockSkewSeconds: z.number().int().nonnegative().max(300).default(5),
    /** the longest `exp − iat` accepted */
    maxLifetimeSeconds: z.number().int().positive().default(300),
    cacheMaxEntries: z.number().int().positive().default(100_000),
    maxTokenLength: z.number().int().positive().default(8192),
  }),
  /** JWE (nested JWT) from the edge: decrypted with this domain's private key first */
  encryption: z.strictObject({
    /** required: refuse plain JWS; optional: accept both */
    mode: z.enum(['required', 'optional']).default('required'),
    /** this domain's private decryption key, PEM or JWK */
    keyFile: z.string().min(1),
    alg: keyManagementAlgorithm.default('ECDH-ES+A256KW'),
    /** publish the public half at /.well-known/jwks.json for the edge */
    publish: z.boolean().default(true),
  }).optional(),
  /** the backend this micro gateway protects */
  backend: httpUrl,
  /** pass the verified JWT on to the backend in Authorization */
  forwardJwt: z.boolean().default(true),
  /** claim → header, for backends that do not verify JWTs */
  claimHeaders: z.record(z.string(), z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name')).default({}),
  routes: z.array(z.strictObject({
    ...routeBase,
    stripPrefix: z.boolean().default(false),
    /** e.g. perClient: { limit: 20, per: 1s } — client = client_id, else sub */
    rateLimit: z.strictObject({ perClient: rate.optional(), perRoute: rate.optional() }).optional(),
    /** protects the backend: requests in flight, a bounded queue, a maximum wait */
    concurrency: z.strictObject({
      max: z.number().int().positive(),
      queue: z.number().int().nonnegative().default(0),
      maxWait: durationMs.default(5),
    }).optional(),
  })).min(1),
  throttle: z.strictObject({
    /** share rate limits across every instance of this domain through Redis (bottleneck clustering) */
    redis: z.strictObject({
      url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL'),
      /** when Redis is unreachable: false → local limits per instance; true → 503 */
      failClosed: z.boolean().default(false),
      connectTimeoutMs: z.number().int().positive().default(1000),
    }).optional(),
    /** per-client counters kept in memory (LRU); memory stays bounded */
    maxClients: z.number().int().positive().default(100_000),
  }).prefault({}),
  upstream: upstreamSchema.prefault({}),
  stripHeaders: stripHeadersSchema,
  headers: headersSchema.prefault({}),
  logging: loggingSchema.prefault({}),
});

export type MicroConfig = z.output<typeof microConfigSchema>;
export type MicroRouteConfig = MicroConfig['routes'][number];
