import { z } from 'zod';
import { durationMs } from './schema-parts.js';

const KEY_PART = /^(client|client_id|sub|peer|claim:[A-Za-z0-9_.:-]+)$/;

/** `{ limit: 100, per: 1m, burst: 20 }`: 100 a minute on average, at most 20 at once (burst defaults to limit) */
export const rateSchema = z.strictObject({
  limit: z.number().int().positive(),
  per: durationMs.refine((ms) => ms > 0, 'expected a duration longer than 0'),
  burst: z.number().int().positive().optional(),
});

/** a per-client limit: what it counts by, and per-value limits from a claim (tiers) */
const clientRateSchema = z.strictObject({
  ...rateSchema.shape,
  key: z.array(z.string().regex(KEY_PART, 'expected client, client_id, sub, peer or claim:<name>')).min(1).default(['client']).describe('client (client_id, else sub), client_id, sub, peer, claim:<name>, or several (their combination)'),
  tiers: z.strictObject({ claim: z.string().min(1), limits: z.record(z.string(), rateSchema) }).optional().describe('e.g. { claim: tier, limits: { gold: { limit: 1000, per: 1m } } }; other values get this rule\'s own limit'),
});

export const rateLimitSchema = z.strictObject({ perClient: clientRateSchema.optional(), perRoute: rateSchema.optional() });

/** where shared limits live: exactly one of a single node, Sentinel or Cluster */
export const redisSchema = z.strictObject({
  url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL').optional().describe('a single node: redis://[user:password@]host:port/db, or rediss:// (TLS)'),
  sentinel: z.strictObject({
    name: z.string().min(1).describe('the master\'s name as the sentinels know it'),
    nodes: z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port')).min(1),
    password: z.string().optional(),
    sentinelPassword: z.string().optional(),
    db: z.number().int().nonnegative().default(0),
  }).optional(),
  cluster: z.strictObject({ nodes: z.array(z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL')).min(1) }).optional(),
  caFile: z.string().optional().describe('a PEM file with the CA that signed a rediss:// server\'s certificate'),
  failClosed: z.boolean().default(false).describe('when Redis is unreachable: false → local limits per instance; true → 503'),
  connectTimeoutMs: z.number().int().positive().default(1000).describe('bounds connecting and each command: past it the command fails and the caller falls back as when Redis is down'),
}).refine((r) => [r.url, r.sentinel, r.cluster].filter((x) => x !== undefined).length === 1, { message: 'give exactly one of url, sentinel and cluster' });

export const throttleSchema = {
  redis: redisSchema.optional().describe('share rate limits across every instance through Redis'),
  maxClients: z.number().int().positive().default(100_000).describe('per-client buckets kept in memory (LRU) for local limits; memory stays bounded'),
};
