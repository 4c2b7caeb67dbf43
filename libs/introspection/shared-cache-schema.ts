import { z } from 'zod';
import { redisSchema } from '../config/rate-limit-schema.js';

/**
 * `introspection.sharedCache` (edge, optional): a Redis L2 behind each
 * instance's own cache, and a cluster-wide lock so N edges make one
 * introspection call per new token. Absent: each instance caches on its own.
 */
export const sharedCacheSchema = z.strictObject({
  redis: redisSchema.describe('where the shared cache lives: url, sentinel or cluster (as throttle.redis); failClosed: true → /readyz not ready while Redis is unreachable'),
  keyPrefix: z.string().min(1).default('phantom:introspection:').describe('prefix of the shared keys (each: the prefix + the token\'s SHA-256)'),
  lockMs: z.number().int().positive().default(3000).describe('the lock one instance takes to introspect a new token for all expires after this (keep it above authorizationServer.timeoutMs)'),
  waitMs: z.number().int().positive().default(2500).describe('an instance that finds the lock taken waits this long for the shared answer, then introspects itself'),
});

export type SharedCacheConfig = z.infer<typeof sharedCacheSchema>;
