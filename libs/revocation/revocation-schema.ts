import { z } from 'zod';
import { httpUrl } from '../config/schema-parts.js';

/**
 * `revocation` (edge and micro): the admin API `POST /revocations`, the denylist,
 * the fan-out to the other instances and (edge) the RFC 8935 SET receiver.
 * Absent: no revocation API and no check.
 */
export const revocationSchema = z.strictObject({
  /** the bearer secret of `POST /revocations` (use `${ENV_VAR}`), at least 16 characters */
  adminToken: z.string().min(16, 'expected at least 16 characters (use ${ENV_VAR})'),
  /** revocations remembered per kind (token, sub, client_id, jti); the oldest goes first */
  maxEntries: z.number().int().positive().default(100_000),
  /** how long a revocation is remembered; default: the longest a cached or minted token can pass without it */
  retainSeconds: z.number().int().positive().optional(),
  /** fan-out through Redis pub/sub */
  redis: z.strictObject({
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// URL'),
    channel: z.string().min(1).default('phantom:revocations'),
  }).optional(),
  /** fan-out without Redis: the admin URLs of the other instances */
  peers: z.array(httpUrl).default([]),
  fanOutTimeoutMs: z.number().int().positive().default(1000),
  /** RFC 8935 push receiver for RFC 8417 SETs at `POST /set` on the admin port */
  set: z.strictObject({
    /** the transmitter's `iss` */
    issuer: z.string().min(1),
    /** the `aud` SETs must carry for this receiver */
    audience: z.string().min(1),
    /** the transmitter's JWKS */
    jwksUri: httpUrl,
    algorithms: z.array(z.enum(['RS256', 'PS256', 'ES256', 'EdDSA'])).min(1).default(['RS256', 'PS256', 'ES256', 'EdDSA']),
  }).optional(),
});

export type RevocationConfig = z.infer<typeof revocationSchema>;
